//! The invite email.

use super::Rendered;

/// The accept link of an invite: the page that redeems it.
pub fn accept_link(public_url: &str, tenant_slug: &str, token: &str) -> String {
    format!(
        "{}/t/{tenant_slug}/invite/{token}",
        public_url.trim_end_matches('/')
    )
}

pub fn render(tenant_name: &str, link: &str) -> Rendered {
    let name = html_escape::encode_text(tenant_name);
    let href = html_escape::encode_double_quoted_attribute(link);
    Rendered {
        subject: format!("You're invited to {tenant_name}"),
        text: format!(
            "You have been invited to join {tenant_name}.\n\n\
             Accept the invite and choose your password here:\n{link}\n\n\
             If you did not expect this invite, ignore this email.\n"
        ),
        html: format!(
            "<!doctype html><html><body style=\"font-family: sans-serif\">\
             <p>You have been invited to join <strong>{name}</strong>.</p>\
             <p><a href=\"{href}\">Accept the invite and choose your password</a></p>\
             <p style=\"color: #666\">If you did not expect this invite, ignore this email.</p>\
             </body></html>"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_and_the_escaping() {
        let link = accept_link("https://roster.example/", "acme", "rsi_abc");
        assert_eq!(link, "https://roster.example/t/acme/invite/rsi_abc");
        let email = render("Tom & <Jerry>", &link);
        assert!(email.html.contains("Tom &amp; &lt;Jerry&gt;"));
        assert!(email.text.contains(&link));
        assert_eq!(email.subject, "You're invited to Tom & <Jerry>");
    }
}
