//! OAuth 2.0 and OpenID Connect (docs/oidc.md). A browser signed in at the hosted pages holds an
//! ordinary session; each authorization it grants to a client becomes a *grant*: a session of that
//! client whose opaque refresh token rotates on every use, with reuse detection per grant.

mod authorize;
mod clients;
mod grants;

pub use authorize::{AuthRequest, AuthorizeParams, AuthorizeRefusal, BrowserSession};
pub use clients::{ClientUpdate, CreatedClient, NewClient, OAuthClient};
pub use grants::TokenSet;

/// How long an authorization code lives.
const CODE_TTL: i64 = 60;
/// How long a pending authorization request (the login pages' `req`) lives.
const REQUEST_TTL: i64 = 600;
/// A rotated refresh token used again this soon is taken for a race between two tabs, not a theft.
const REUSE_GRACE: i64 = 10;

/// The scopes this provider knows; others are refused with `invalid_scope`.
pub const SCOPES: &[&str] = &["openid", "profile", "email", "phone", "offline_access"];
