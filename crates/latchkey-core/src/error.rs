//! Core errors carry a stable code (docs/errors.md); each front door maps them to its wire.

use std::fmt;

/// The stable error codes. The Descope door sends them as `errorCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    MalformedRequest,
    MissingArgument,
    InvalidArgument,
    NotFoundRoute,
    BodyTooLarge,
    MethodNotAllowed,
    Unauthenticated,
    UnknownProject,
    BadManagementKey,
    AuthManagementKeyRequired,
    WrongCode,
    CodeExpired,
    BadLinkToken,
    LinkPending,
    BadCredentials,
    WeakPassword,
    PasswordExpired,
    BadRefreshToken,
    BadAccessKey,
    UserNotFound,
    UserExists,
    UserDisabled,
    TenantNotFound,
    TenantExists,
    RoleNotFound,
    RoleExists,
    PermissionNotFound,
    PermissionExists,
    AccessKeyNotFound,
    Forbidden,
    RateLimited,
    DeliveryFailed,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    InvalidScope,
    UnsupportedGrantType,
    ClientNotFound,
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::MalformedRequest => "E011001",
            Code::MissingArgument => "E011002",
            Code::InvalidArgument => "E011003",
            Code::NotFoundRoute => "E011004",
            Code::BodyTooLarge => "E011005",
            Code::MethodNotAllowed => "E011006",
            Code::Unauthenticated => "E012001",
            Code::UnknownProject => "E012002",
            Code::BadManagementKey => "E012003",
            Code::AuthManagementKeyRequired => "E012004",
            Code::WrongCode => "E061102",
            Code::CodeExpired => "E061103",
            Code::BadLinkToken => "E062001",
            Code::LinkPending => "E062002",
            Code::BadCredentials => "E063001",
            Code::WeakPassword => "E063002",
            Code::PasswordExpired => "E063003",
            Code::BadRefreshToken => "E064001",
            Code::BadAccessKey => "E064002",
            Code::UserNotFound => "E071001",
            Code::UserExists => "E071002",
            Code::UserDisabled => "E071003",
            Code::TenantNotFound => "E072001",
            Code::TenantExists => "E072002",
            Code::RoleNotFound => "E073001",
            Code::RoleExists => "E073002",
            Code::PermissionNotFound => "E074001",
            Code::PermissionExists => "E074002",
            Code::AccessKeyNotFound => "E075001",
            Code::Forbidden => "E012005",
            Code::RateLimited => "E130429",
            Code::DeliveryFailed => "E090001",
            Code::InvalidClient => "E081001",
            Code::InvalidGrant => "E081002",
            Code::UnauthorizedClient => "E081003",
            Code::InvalidScope => "E081004",
            Code::UnsupportedGrantType => "E081005",
            Code::ClientNotFound => "E081006",
            Code::Internal => "E999999",
        }
    }

    /// The HTTP status this code answers with on the REST doors.
    pub fn http_status(self) -> u16 {
        match self {
            Code::MalformedRequest
            | Code::MissingArgument
            | Code::InvalidArgument
            | Code::WeakPassword
            | Code::InvalidGrant
            | Code::UnauthorizedClient
            | Code::InvalidScope
            | Code::UnsupportedGrantType => 400,
            Code::Unauthenticated
            | Code::UnknownProject
            | Code::BadManagementKey
            | Code::AuthManagementKeyRequired
            | Code::WrongCode
            | Code::CodeExpired
            | Code::BadLinkToken
            | Code::LinkPending
            | Code::BadCredentials
            | Code::PasswordExpired
            | Code::BadRefreshToken
            | Code::BadAccessKey
            | Code::InvalidClient => 401,
            Code::UserDisabled | Code::Forbidden => 403,
            Code::NotFoundRoute
            | Code::UserNotFound
            | Code::TenantNotFound
            | Code::RoleNotFound
            | Code::PermissionNotFound
            | Code::AccessKeyNotFound
            | Code::ClientNotFound => 404,
            Code::MethodNotAllowed => 405,
            Code::UserExists | Code::TenantExists | Code::RoleExists | Code::PermissionExists => 409,
            Code::BodyTooLarge => 413,
            Code::RateLimited => 429,
            Code::DeliveryFailed => 502,
            Code::Internal => 500,
        }
    }

    /// A stable human sentence for the code.
    pub fn description(self) -> &'static str {
        match self {
            Code::MalformedRequest => "Malformed request body",
            Code::MissingArgument => "Missing required argument",
            Code::InvalidArgument => "Invalid argument",
            Code::NotFoundRoute => "Unknown or unsupported route",
            Code::BodyTooLarge => "Request body too large",
            Code::MethodNotAllowed => "Method not allowed",
            Code::Unauthenticated => "Missing or malformed authorization",
            Code::UnknownProject => "Unknown project",
            Code::BadManagementKey => "Management key missing or invalid",
            Code::AuthManagementKeyRequired => "This project requires the auth management key",
            Code::WrongCode => "Wrong OTP code",
            Code::CodeExpired => "One-time code expired or no longer valid",
            Code::BadLinkToken => "Link token invalid, expired or already used",
            Code::LinkPending => "Link not verified yet",
            Code::BadCredentials => "Wrong login id or password",
            Code::WeakPassword => "Password does not meet the password policy",
            Code::PasswordExpired => "Password expired: replace it to sign in",
            Code::BadRefreshToken => "Refresh token invalid, expired or revoked",
            Code::BadAccessKey => "Access key invalid, expired or inactive",
            Code::UserNotFound => "User not found",
            Code::UserExists => "User already exists",
            Code::UserDisabled => "User is disabled",
            Code::TenantNotFound => "Tenant not found",
            Code::TenantExists => "Tenant already exists",
            Code::RoleNotFound => "Role not found",
            Code::RoleExists => "Role already exists",
            Code::PermissionNotFound => "Permission not found",
            Code::PermissionExists => "Permission already exists",
            Code::AccessKeyNotFound => "Access key not found",
            Code::Forbidden => "Not permitted",
            Code::RateLimited => "Too many requests",
            Code::DeliveryFailed => "Message delivery failed",
            Code::InvalidClient => "Client authentication failed",
            Code::InvalidGrant => "Authorization code or refresh token invalid, expired, used or revoked",
            Code::UnauthorizedClient => "The client may not use this grant",
            Code::InvalidScope => "Requested scope is invalid or exceeds the grant",
            Code::UnsupportedGrantType => "Unsupported grant type",
            Code::ClientNotFound => "OAuth client not found",
            Code::Internal => "Internal error",
        }
    }
}

/// A core error: a stable code, a message for the caller, and for rate limits the wait.
#[derive(Debug, Clone)]
pub struct Error {
    pub code: Code,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error { code, message: message.into(), retry_after: None }
    }

    pub fn missing(field: &str) -> Self {
        Error::new(Code::MissingArgument, format!("'{field}' is required"))
    }

    pub fn invalid(field: &str, why: &str) -> Self {
        Error::new(Code::InvalidArgument, format!("'{field}' {why}"))
    }

    pub fn rate_limited(retry_after: u64) -> Self {
        Error {
            retry_after: Some(retry_after.max(1)),
            ..Error::new(Code::RateLimited, "Rate limit exceeded, retry later")
        }
    }

    /// An unexpected failure: logged here with its detail, answered without it.
    pub fn internal(detail: impl fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Error::new(Code::Internal, "Internal error")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

impl From<latchkey_store::StoreError> for Error {
    fn from(err: latchkey_store::StoreError) -> Self {
        match err {
            latchkey_store::StoreError::Conflict("login id" | "user") => {
                Error::new(Code::UserExists, "A user with this login id already exists")
            }
            latchkey_store::StoreError::Conflict("role") => {
                Error::new(Code::RoleExists, "A role with this name already exists")
            }
            latchkey_store::StoreError::Conflict("permission") => {
                Error::new(Code::PermissionExists, "A permission with this name already exists")
            }
            latchkey_store::StoreError::Conflict("tenant") => {
                Error::new(Code::TenantExists, "A tenant with this id already exists")
            }
            other => Error::internal(other),
        }
    }
}

impl From<latchkey_delivery::DeliveryError> for Error {
    fn from(err: latchkey_delivery::DeliveryError) -> Self {
        tracing::warn!(error = %err, "delivery failed");
        Error::new(Code::DeliveryFailed, "The message could not be delivered")
    }
}

pub type Result<T> = std::result::Result<T, Error>;
