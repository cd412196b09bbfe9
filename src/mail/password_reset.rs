//! The password reset email.

use super::Rendered;

/// The reset link: the page that sets the new password.
pub fn reset_link(public_url: &str, tenant_slug: &str, token: &str) -> String {
    format!(
        "{}/t/{tenant_slug}/password-reset/{token}",
        public_url.trim_end_matches('/')
    )
}

pub fn render(tenant_name: &str, link: &str) -> Rendered {
    let name = html_escape::encode_text(tenant_name);
    let href = html_escape::encode_double_quoted_attribute(link);
    Rendered {
        subject: format!("Reset your {tenant_name} password"),
        text: format!(
            "Someone asked to reset the password of your {tenant_name} account.\n\n\
             Choose a new password here (the link works once, for 30 minutes):\n{link}\n\n\
             If you did not ask for this, ignore this email: your password stays as it is.\n"
        ),
        html: format!(
            "<!doctype html><html><body style=\"font-family: sans-serif\">\
             <p>Someone asked to reset the password of your <strong>{name}</strong> account.</p>\
             <p><a href=\"{href}\">Choose a new password</a> (the link works once, for 30 minutes)</p>\
             <p style=\"color: #666\">If you did not ask for this, ignore this email: your password stays as it is.</p>\
             </body></html>"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_and_the_escaping() {
        let link = reset_link("https://roster.example/", "acme", "rsr_abc");
        assert_eq!(link, "https://roster.example/t/acme/password-reset/rsr_abc");
        let email = render("Tom & <Jerry>", &link);
        assert!(email.html.contains("Tom &amp; &lt;Jerry&gt;"));
        assert!(email.text.contains(&link));
    }
}
