//! The console's templates (minijinja), parsed once from text compiled into the binary.
//! Names ending in `.html` are HTML-escaped.

use minijinja::Environment;
use std::sync::OnceLock;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("message.html", include_str!("templates/message.html")),
    ("sign_in.html", include_str!("templates/sign_in.html")),
    ("setup.html", include_str!("templates/setup.html")),
    ("users.html", include_str!("templates/users.html")),
    ("user.html", include_str!("templates/user.html")),
    ("deactivate.html", include_str!("templates/deactivate.html")),
    ("feed.html", include_str!("templates/feed.html")),
    ("events.html", include_str!("templates/events.html")),
    ("note.html", include_str!("templates/note.html")),
];

pub fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .expect("the console's templates parse");
        }
        env
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_parses() {
        for (name, _) in super::TEMPLATES {
            assert!(super::env().get_template(name).is_ok(), "{name}");
        }
    }
}
