-- A password set as temporary, or expired by an admin, must be replaced before it signs in.
ALTER TABLE users ADD COLUMN password_expired BIGINT NOT NULL DEFAULT 0;
