-- Audit records name the tenant they concern.
ALTER TABLE audit_events ADD COLUMN tenant_id TEXT;

-- Tenant settings (session lifetimes, inactivity) as a JSON object.
ALTER TABLE tenants ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
