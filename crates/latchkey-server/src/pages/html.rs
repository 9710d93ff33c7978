//! The hosted pages' HTML: plain server-rendered forms that work without JavaScript, with
//! labelled inputs and the project's branding. Every dynamic value goes through `escape`.

use latchkey_core::Brand;

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Only `#rgb` / `#rrggbb` reach the stylesheet.
fn colour(brand: &Brand) -> &str {
    match brand.color.as_deref() {
        Some(c) if c.starts_with('#') && [4, 7].contains(&c.len()) && c[1..].chars().all(|d| d.is_ascii_hexdigit()) => {
            c
        }
        _ => "#4f46e5",
    }
}

pub fn layout(brand: &Brand, project_name: &str, title: &str, body: &str) -> String {
    let name = escape(brand.name.as_deref().unwrap_or(project_name));
    let logo = match brand.logo_url.as_deref().filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
        Some(url) => format!(r#"<img class="logo" src="{}" alt="">"#, escape(url)),
        None => String::new(),
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · {name}</title>
<style>
:root {{ --brand: {colour}; }}
* {{ box-sizing: border-box; }}
body {{ margin: 0; min-height: 100vh; display: grid; place-items: center; background: #f4f4f6;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1c1c22; }}
main {{ width: min(400px, calc(100vw - 32px)); background: #fff; border-radius: 12px; padding: 32px;
  box-shadow: 0 1px 3px rgba(0,0,0,.08), 0 8px 24px rgba(0,0,0,.06); }}
header {{ text-align: center; margin-bottom: 24px; }}
.logo {{ max-height: 48px; max-width: 160px; }}
.project {{ font-weight: 600; font-size: 18px; margin: 8px 0 0; }}
h1 {{ font-size: 22px; margin: 0 0 16px; }}
form {{ display: grid; gap: 8px; margin: 0 0 20px; }}
label {{ font-size: 14px; font-weight: 500; }}
input {{ font: inherit; padding: 10px 12px; border: 1px solid #c8c8d0; border-radius: 8px; }}
input:focus {{ outline: 2px solid var(--brand); outline-offset: 1px; }}
button {{ font: inherit; font-weight: 600; padding: 10px 12px; border: 0; border-radius: 8px;
  background: var(--brand); color: #fff; cursor: pointer; margin-top: 4px; }}
button.secondary {{ background: #fff; color: var(--brand); border: 1px solid var(--brand); }}
.divider {{ text-align: center; color: #6b6b76; font-size: 14px; margin: 4px 0 16px; }}
[role=alert] {{ background: #fdecec; color: #8a1c1c; padding: 10px 12px; border-radius: 8px; }}
[role=status] {{ background: #eaf6ee; color: #1d5e33; padding: 10px 12px; border-radius: 8px; }}
nav {{ display: flex; justify-content: space-between; font-size: 14px; }}
a {{ color: var(--brand); }}
</style>
</head>
<body>
<main>
<header>{logo}<p class="project">{name}</p></header>
{body}
</main>
</body>
</html>
"#,
        title = escape(title),
        colour = colour(brand),
    )
}

/// A form posting to `action` with the hidden `req` and `csrf` fields and the given inputs.
pub struct Form<'a> {
    pub action: &'a str,
    pub req: &'a str,
    pub csrf: &'a str,
    pub inputs: Vec<Input<'a>>,
    pub button: &'a str,
    pub secondary: bool,
}

pub struct Input<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub kind: &'a str,
    pub value: &'a str,
    pub autocomplete: &'a str,
}

impl Input<'_> {
    pub fn hidden<'a>(name: &'a str, value: &'a str) -> Input<'a> {
        Input { name, label: "", kind: "hidden", value, autocomplete: "" }
    }
}

impl Form<'_> {
    pub fn render(&self) -> String {
        let id_base = self.action.trim_start_matches('/').replace('/', "-");
        let mut html = format!(
            r#"<form method="post" action="{}"><input type="hidden" name="req" value="{}"><input type="hidden" name="csrf" value="{}">"#,
            escape(self.action),
            escape(self.req),
            escape(self.csrf)
        );
        for input in &self.inputs {
            if input.kind == "hidden" {
                html += &format!(r#"<input type="hidden" name="{}" value="{}">"#, input.name, escape(input.value));
                continue;
            }
            let id = format!("{id_base}-{}", input.name);
            html += &format!(
                r#"<label for="{id}">{}</label><input id="{id}" name="{}" type="{}" value="{}" autocomplete="{}" required>"#,
                escape(input.label),
                input.name,
                input.kind,
                escape(input.value),
                input.autocomplete
            );
        }
        let class = if self.secondary { r#" class="secondary""# } else { "" };
        html + &format!(r#"<button type="submit"{class}>{}</button></form>"#, escape(self.button))
    }
}

pub fn alert(message: Option<&str>) -> String {
    message.map(|m| format!(r#"<p role="alert">{}</p>"#, escape(m))).unwrap_or_default()
}

pub fn notice(message: Option<&str>) -> String {
    message.map(|m| format!(r#"<p role="status">{}</p>"#, escape(m))).unwrap_or_default()
}
