//! The pages an emailed link opens (an invite, a password reset): one password form, in the
//! binary, that posts the link's token and the chosen password to the page's endpoint.

/// What differs between the password pages.
pub(super) struct PasswordPage {
    pub title: &'static str,
    pub label: &'static str,
    pub button: &'static str,
    pub busy: &'static str,
    /// The endpoint under `/t/{tenant}` the form posts `{token, password}` to.
    pub endpoint: &'static str,
    pub done: &'static str,
    pub failed: &'static str,
}

impl PasswordPage {
    pub fn render(&self) -> String {
        include_str!("password_page.html")
            .replace("{{TITLE}}", self.title)
            .replace("{{LABEL}}", self.label)
            .replace("{{BUTTON}}", self.button)
            .replace("{{BUSY}}", self.busy)
            .replace("{{ENDPOINT}}", self.endpoint)
            .replace("{{DONE}}", self.done)
            .replace("{{FAILED}}", self.failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled() {
        let page = PasswordPage {
            title: "t",
            label: "l",
            button: "b",
            busy: "s",
            endpoint: "/v1/x",
            done: "d",
            failed: "f",
        }
        .render();
        assert!(!page.contains("{{"), "{page}");
        assert!(page.contains("\"/v1/x\""));
    }
}
