//! The hosted login pages (docs/oidc.md): sign-in by password, email code or magic link, sign-up,
//! password reset. Each page carries the sealed authorization request (`req`) and a CSRF token
//! bound to the `lk_csrf` cookie; a successful sign-in sets the provider session and returns the
//! browser to the client with a code.

mod html;

use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use latchkey_core::{
    AuthRequest, Caller, Channel, Code, Core, Error, LoginOptions, Project, SignUpUser, SignedIn, Start, StartMode,
};
use serde::Deserialize;

use self::html::{Input, alert, escape, layout, notice};
use crate::http::CallerInfo;
use crate::web::{self, CSRF_COOKIE, SSO_COOKIE};

pub fn routes() -> Router<Core> {
    Router::new()
        .route("/login", get(login_page))
        .route("/login/password", axum::routing::post(password_sign_in))
        .route("/login/otp", axum::routing::post(otp_start))
        .route("/login/otp/verify", axum::routing::post(otp_verify))
        .route("/login/magic", axum::routing::post(magic_start))
        .route("/login/magic/verify", get(magic_verify))
        .route("/signup", get(signup_page).post(sign_up))
        .route("/password/forgot", get(forgot_page).post(forgot))
        .route("/password/reset", get(reset_page).post(reset))
}

/// What every page needs: the project, the pending request, and the CSRF pair.
struct Page {
    core: Core,
    project: Project,
    req: String,
    request: AuthRequest,
    csrf: String,
    /// A new `lk_csrf` cookie to set, when the browser had none.
    new_cookie: Option<HeaderValue>,
    caller: Caller,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Fields {
    req: String,
    csrf: String,
    email: String,
    password: String,
    code: String,
    name: String,
    token: String,
    t: String,
    /// Set on the login page a password reset lands on.
    reset: String,
}

impl Page {
    /// Opens the page's context; `posted` forms must carry the CSRF token of this browser's cookie.
    async fn open(core: Core, headers: &HeaderMap, caller: Caller, f: &Fields, posted: bool) -> Result<Page, Response> {
        let project = web::default_project(&core)
            .await
            .map_err(|e| error_page(None, StatusCode::SERVICE_UNAVAILABLE, &e.message))?;
        let cookie = web::cookie(headers, CSRF_COOKIE).map(str::to_string);
        if posted && !cookie.as_deref().is_some_and(|c| core.check_csrf(c, &f.csrf)) {
            let message = "This form expired or was not sent from this browser. Go back and try again.";
            return Err(error_page(Some(&project), StatusCode::FORBIDDEN, message));
        }
        let request =
            core.open_request(&f.req).map_err(|e| error_page(Some(&project), StatusCode::BAD_REQUEST, &e.message))?;
        let (cookie, new_cookie) = match cookie {
            Some(cookie) => (cookie, None),
            None => {
                let fresh = latchkey_jose::b64url(&latchkey_jose::random_bytes::<24>());
                let header = web::set_cookie(&core, CSRF_COOKIE, &fresh, 3600);
                (fresh, Some(header))
            }
        };
        Ok(Page { csrf: core.csrf_token(&cookie), caller, core, project, req: f.req.clone(), request, new_cookie })
    }

    fn render(&self, status: StatusCode, title: &str, body: &str) -> Response {
        let brand = &self.project.settings.brand;
        let mut response =
            (status, [(header::CACHE_CONTROL, "no-store")], Html(layout(brand, &self.project.name, title, body)))
                .into_response();
        if let Some(cookie) = &self.new_cookie {
            response.headers_mut().append(header::SET_COOKIE, cookie.clone());
        }
        response
    }

    fn form<'a>(&'a self, action: &'a str, inputs: Vec<Input<'a>>, button: &'a str, secondary: bool) -> String {
        html::Form { action, req: &self.req, csrf: &self.csrf, inputs, button, secondary }.render()
    }

    fn link(&self, path: &str, text: &str) -> String {
        format!(r#"<a href="{}">{}</a>"#, escape(&web::with_params(path, &[("req", &self.req)])), escape(text))
    }

    fn login(&self, status: StatusCode, error: Option<&str>, info: Option<&str>) -> Response {
        let hint = self.request.login_hint.as_deref().unwrap_or_default();
        let email = |autocomplete| Input { name: "email", label: "Email", kind: "email", value: hint, autocomplete };
        let body = [
            "<h1>Sign in</h1>".to_string(),
            alert(error),
            notice(info),
            self.form(
                "/login/password",
                vec![
                    email("username"),
                    Input {
                        name: "password",
                        label: "Password",
                        kind: "password",
                        value: "",
                        autocomplete: "current-password",
                    },
                ],
                "Sign in",
                false,
            ),
            r#"<p class="divider">or</p>"#.to_string(),
            self.form("/login/otp", vec![email("email")], "Email me a code", true),
            self.form("/login/magic", vec![email("email")], "Email me a link", true),
            format!(
                "<nav>{}{}</nav>",
                self.link("/signup", "Create an account"),
                self.link("/password/forgot", "Forgot password?")
            ),
        ]
        .concat();
        self.render(status, "Sign in", &body)
    }

    fn signup(&self, status: StatusCode, error: Option<&str>) -> Response {
        let hint = self.request.login_hint.as_deref().unwrap_or_default();
        let body = [
            "<h1>Create an account</h1>".to_string(),
            alert(error),
            self.form(
                "/signup",
                vec![
                    Input { name: "name", label: "Name", kind: "text", value: "", autocomplete: "name" },
                    Input { name: "email", label: "Email", kind: "email", value: hint, autocomplete: "email" },
                    Input {
                        name: "password",
                        label: "Password",
                        kind: "password",
                        value: "",
                        autocomplete: "new-password",
                    },
                ],
                "Create account",
                false,
            ),
            format!("<nav>{}</nav>", self.link("/login", "I already have an account")),
        ]
        .concat();
        self.render(status, "Create an account", &body)
    }

    fn otp_code(&self, status: StatusCode, email: &str, error: Option<&str>) -> Response {
        let body = [
            "<h1>Enter your code</h1>".to_string(),
            alert(error),
            format!("<p>We sent a sign-in code to {}.</p>", escape(email)),
            self.form(
                "/login/otp/verify",
                vec![
                    Input::hidden("email", email),
                    Input { name: "code", label: "Code", kind: "text", value: "", autocomplete: "one-time-code" },
                ],
                "Continue",
                false,
            ),
            format!("<nav>{}</nav>", self.link("/login", "Use another way")),
        ]
        .concat();
        self.render(status, "Enter your code", &body)
    }

    fn message(&self, title: &str, text: &str) -> Response {
        let body = format!(
            "<h1>{}</h1><p>{}</p><nav>{}</nav>",
            escape(title),
            escape(text),
            self.link("/login", "Back to sign in")
        );
        self.render(StatusCode::OK, title, &body)
    }

    /// The sign-in worked: set the provider session and send the browser back with a code whose
    /// `amr` names the `method` just used (`pwd`, `otp`, `magiclink`).
    async fn signed_in(&self, signed: SignedIn, method: &str) -> Response {
        let Some(mut browser) = self.core.browser_session(&self.project, &signed.refresh_jwt).await else {
            return self.login(StatusCode::UNAUTHORIZED, Some("This account cannot sign in."), None);
        };
        browser.session.amr = serde_json::json!([method]).to_string();
        let max_age = (signed.refresh_expires_at - now()).max(0);
        let mut cookies = vec![web::set_cookie(&self.core, SSO_COOKIE, &signed.refresh_jwt, max_age)];
        cookies.extend(self.new_cookie.clone());
        crate::oidc::complete(&self.core, &self.project, &self.request, &browser, StatusCode::SEE_OTHER, cookies).await
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn status_of(err: &Error) -> StatusCode {
    StatusCode::from_u16(err.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
}

/// A sentence for the person at the browser; the same words for an unknown user and a wrong password.
fn explain(err: &Error) -> &str {
    match err.code {
        Code::BadCredentials => "Wrong email or password.",
        Code::WrongCode => "That code is not right. Check it and try again.",
        Code::CodeExpired | Code::BadLinkToken => "That code or link expired or was already used. Ask for a new one.",
        Code::RateLimited => "Too many attempts. Wait a minute and try again.",
        Code::UserDisabled => "This account is disabled.",
        Code::PasswordExpired => "Your password has expired. Reset it to sign in.",
        Code::UserExists => "An account with this email already exists. Sign in instead.",
        Code::Internal | Code::DeliveryFailed => "Something went wrong on our side. Try again.",
        _ => &err.message,
    }
}

/// A page opened by a GET: its query fields and context.
struct Shown(Page, Fields);

/// A posted form, its CSRF token checked against the browser's cookie.
struct Posted(Page, Fields);

impl FromRequestParts<Core> for Shown {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, core: &Core) -> Result<Self, Response> {
        let Ok(CallerInfo(caller)) = CallerInfo::from_request_parts(parts, core).await;
        let Query(f) = Query::<Fields>::from_request_parts(parts, core).await.unwrap_or_default();
        Ok(Shown(Page::open(core.clone(), &parts.headers, caller, &f, false).await?, f))
    }
}

impl FromRequest<Core> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, core: &Core) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let Ok(CallerInfo(caller)) = CallerInfo::from_request_parts(&mut parts, core).await;
        let headers = parts.headers.clone();
        let form = Form::<Fields>::from_request(Request::from_parts(parts, body), core).await;
        let f = form.map(|Form(f)| f).unwrap_or_default();
        Ok(Posted(Page::open(core.clone(), &headers, caller, &f, true).await?, f))
    }
}

async fn login_page(Shown(page, f): Shown) -> Response {
    let notice = (f.reset == "done").then_some("Your password was changed. Sign in with it.");
    page.login(StatusCode::OK, None, notice)
}

async fn password_sign_in(Posted(page, f): Posted) -> Response {
    match page.core.sign_in_password(&page.project, &page.caller, f.email.trim(), &f.password).await {
        Ok(signed) => page.signed_in(signed, "pwd").await,
        Err(err) => page.login(status_of(&err), Some(explain(&err)), None),
    }
}

fn start<'a>(email: &'a str, mode: StartMode, uri: Option<&'a str>) -> Start<'a> {
    Start { channel: Channel::Email, login_id: email, mode, options: LoginOptions::default(), uri, refresh: None }
}

async fn otp_start(Posted(page, f): Posted) -> Response {
    let email = f.email.trim();
    match page.core.start_otp(&page.project, &page.caller, start(email, StartMode::SignUpOrIn, None)).await {
        Ok(_) => page.otp_code(StatusCode::OK, email, None),
        Err(err) => page.login(status_of(&err), Some(explain(&err)), None),
    }
}

async fn otp_verify(Posted(page, f): Posted) -> Response {
    let email = f.email.trim();
    match page.core.verify_otp(&page.project, &page.caller, Channel::Email, email, f.code.trim()).await {
        Ok(signed) => page.signed_in(signed, "otp").await,
        Err(err) => page.otp_code(status_of(&err), email, Some(explain(&err))),
    }
}

/// Where a mailed link lands: this server's page, carrying the pending request.
fn link_target(core: &Core, path: &str, req: &str) -> String {
    web::with_params(&format!("{}{path}", core.oidc_issuer()), &[("req", req)])
}

async fn magic_start(Posted(page, f): Posted) -> Response {
    let target = link_target(&page.core, "/login/magic/verify", &page.req);
    match page
        .core
        .start_magic_link(&page.project, &page.caller, start(f.email.trim(), StartMode::SignUpOrIn, Some(&target)))
        .await
    {
        Ok(_) => page.message("Check your email", "We sent you a sign-in link. Open it in this browser to continue."),
        Err(err) => page.login(status_of(&err), Some(explain(&err)), None),
    }
}

/// The mailed link itself proves the address; it works once.
async fn magic_verify(Shown(page, f): Shown) -> Response {
    match page.core.verify_magic_link(&page.project, &page.caller, &f.t).await {
        Ok(signed) => page.signed_in(signed, "magiclink").await,
        Err(err) => page.login(status_of(&err), Some(explain(&err)), None),
    }
}

async fn signup_page(Shown(page, _): Shown) -> Response {
    page.signup(StatusCode::OK, None)
}

async fn sign_up(Posted(page, f): Posted) -> Response {
    let email = f.email.trim();
    let user = SignUpUser {
        name: Some(f.name.trim().to_string()).filter(|n| !n.is_empty()),
        email: Some(email.to_string()),
        ..SignUpUser::default()
    };
    match page.core.sign_up_password(&page.project, &page.caller, email, &f.password, user).await {
        Ok(signed) => page.signed_in(signed, "pwd").await,
        Err(err) => page.signup(status_of(&err), Some(explain(&err))),
    }
}

async fn forgot_page(Shown(page, _): Shown) -> Response {
    let body = [
        "<h1>Reset your password</h1>".to_string(),
        page.form(
            "/password/forgot",
            vec![Input { name: "email", label: "Email", kind: "email", value: "", autocomplete: "email" }],
            "Send reset link",
            false,
        ),
        format!("<nav>{}</nav>", page.link("/login", "Back to sign in")),
    ]
    .concat();
    page.render(StatusCode::OK, "Reset your password", &body)
}

/// Answers the same whether or not the account exists, so the page tells nobody who has one.
async fn forgot(Posted(page, f): Posted) -> Response {
    let target = link_target(&page.core, "/password/reset", &page.req);
    match page.core.send_password_reset(&page.project, &page.caller, f.email.trim(), Some(&target)).await {
        Ok(_) => {}
        Err(err) if err.code == Code::RateLimited => return page.login(status_of(&err), Some(explain(&err)), None),
        Err(err) => tracing::debug!(code = err.code.as_str(), "password reset not sent"),
    }
    page.message("Check your email", "If an account exists for that address, we sent it a link to set a new password.")
}

/// The mailed link opens a form; the token is spent only when the new password is posted.
async fn reset_page(Shown(page, f): Shown) -> Response {
    reset_form(&page, &f.t, StatusCode::OK, None)
}

fn reset_form(page: &Page, token: &str, status: StatusCode, error: Option<&str>) -> Response {
    let body = [
        "<h1>Set a new password</h1>".to_string(),
        alert(error),
        page.form(
            "/password/reset",
            vec![
                Input::hidden("token", token),
                Input {
                    name: "password",
                    label: "New password",
                    kind: "password",
                    value: "",
                    autocomplete: "new-password",
                },
            ],
            "Set password",
            false,
        ),
    ]
    .concat();
    page.render(status, "Set a new password", &body)
}

async fn reset(Posted(page, f): Posted) -> Response {
    match page.core.reset_password_with_link(&page.project, &page.caller, &f.token, &f.password).await {
        Ok(()) => {
            let location = web::with_params("/login", &[("req", &page.req), ("reset", "done")]);
            web::redirect(StatusCode::SEE_OTHER, &location, page.new_cookie.clone().into_iter().collect())
        }
        // A weak password keeps the form (the link is still good); anything else starts over.
        Err(err) if err.code == Code::WeakPassword => reset_form(&page, &f.token, status_of(&err), Some(&err.message)),
        Err(err) => page.login(status_of(&err), Some(explain(&err)), None),
    }
}

/// A page for a request that cannot go on; never a redirect.
pub fn error_page(project: Option<&Project>, status: StatusCode, message: &str) -> Response {
    let (brand, name) = match project {
        Some(p) => (p.settings.brand.clone(), p.name.clone()),
        None => (Default::default(), "Latchkey".to_string()),
    };
    let body = format!(r#"<h1>Sign-in problem</h1><p role="alert">{}</p>"#, escape(message));
    (status, [(header::CACHE_CONTROL, "no-store")], Html(layout(&brand, &name, "Sign-in problem", &body)))
        .into_response()
}

pub fn signed_out_page(project: &Project) -> Response {
    let body = r#"<h1>Signed out</h1><p role="status">You are signed out. You can close this window.</p>"#;
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        Html(layout(&project.settings.brand, &project.name, "Signed out", body)),
    )
        .into_response()
}
