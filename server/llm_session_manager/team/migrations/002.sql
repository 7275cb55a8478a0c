-- v2: identity and access: web sign-in (a password hash per user, server-side
-- sign-in sessions kept by hash, failed sign-ins counted for back-off), grants
-- of one user's projects and sessions to another, notes on sessions (the
-- simplest write a grant allows) and the audit log of who did what to whose data.

ALTER TABLE users ADD COLUMN IF NOT EXISTS password_hash text;

CREATE TABLE IF NOT EXISTS web_sessions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sha256     bytea NOT NULL UNIQUE,  -- of the cookie's random value; the value itself is never stored
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ended_at   timestamptz
);

CREATE TABLE IF NOT EXISTS login_failures (
    key        text PRIMARY KEY,  -- 'user:NAME' or 'ip:ADDRESS'
    failures   integer NOT NULL,
    last_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS grants (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grantee_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    owner_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope      text NOT NULL CHECK (scope IN ('project', 'session')),
    resource   text NOT NULL,  -- the project's name or the session's id, among the owner's devices' sessions
    access     text NOT NULL CHECK (access IN ('read', 'write')),
    granted_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (grantee_id, owner_id, scope, resource)
);
CREATE INDEX IF NOT EXISTS grants_owner ON grants (owner_id, scope, resource);

CREATE TABLE IF NOT EXISTS session_notes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id text NOT NULL,
    author_id  bigint REFERENCES users (id) ON DELETE SET NULL,
    text       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS session_notes_session ON session_notes (owner_id, session_id);

CREATE TABLE IF NOT EXISTS audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   bigint REFERENCES users (id) ON DELETE SET NULL,
    actor      text NOT NULL,  -- the name, kept if the user goes
    action     text NOT NULL,  -- session.view, grant.create, grant.revoke, note.add, login ...
    owner_id   bigint REFERENCES users (id) ON DELETE SET NULL,  -- whose resource it was
    resource   text NOT NULL,  -- 'session:ID', 'project:NAME', 'grant:ID', 'user:NAME'
    detail     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS audit_log_owner ON audit_log (owner_id, at);
CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log (actor_id, at);
