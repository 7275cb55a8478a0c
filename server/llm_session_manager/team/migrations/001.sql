-- v1: the team server's baseline: who may come in (users, their devices, the
-- devices' tokens, stored hashed), and what devices push (sessions, usage).
-- A response is stored once however many devices push it (`usage`, keyed by the
-- provider's own identity, the store's dedup_key); `usage_seen` keeps which
-- devices saw it, for the per-device breakdown and for who may see it.

CREATE TABLE IF NOT EXISTS users (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    role       text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS devices (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       text NOT NULL,
    -- the id the client made for its data dir, bound on its first push: a
    -- token copied to another machine is refused there
    client_id  text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, name)
);

CREATE TABLE IF NOT EXISTS tokens (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id  bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    sha256     bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

CREATE TABLE IF NOT EXISTS sessions (
    device_id     bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    id            text NOT NULL,
    provider      text NOT NULL,
    project       text,
    cwd           text,
    title         text,
    model         text,
    started_at    double precision,
    last_activity double precision,
    PRIMARY KEY (device_id, id)
);

CREATE TABLE IF NOT EXISTS usage (
    dedup_key             text PRIMARY KEY,
    session_id            text NOT NULL,
    provider              text NOT NULL,
    ts                    double precision NOT NULL,
    model                 text NOT NULL,
    input_tokens          bigint NOT NULL,
    output_tokens         bigint NOT NULL,
    cache_creation_tokens bigint NOT NULL,
    cache_read_tokens     bigint NOT NULL,
    cache_creation_1h_tokens bigint NOT NULL,
    cost_usd              double precision NOT NULL,
    priced                smallint NOT NULL,  -- as the store's: 0 the log's figure, 1 the price table, 2 no price
    exact                 boolean NOT NULL,
    sidechain             boolean NOT NULL,
    first_device          bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    received_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS usage_ts ON usage (ts);

CREATE TABLE IF NOT EXISTS usage_seen (
    dedup_key text NOT NULL REFERENCES usage (dedup_key) ON DELETE CASCADE,
    device_id bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    PRIMARY KEY (dedup_key, device_id)
);
CREATE INDEX IF NOT EXISTS usage_seen_device ON usage_seen (device_id);
