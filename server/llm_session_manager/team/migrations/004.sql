-- v4: chat bots (docs/chat.md): which team user a chat account is, so that a
-- /llm command from Slack, Discord or Teams answers with what that user may
-- see. A link is made by an admin (`team chat link`) or by the user with a
-- one-time code an admin issued (`team chat link-code`, then `/llm link CODE`);
-- codes are kept hashed, like tokens, and expire.

CREATE TABLE IF NOT EXISTS chat_links (
    platform   text NOT NULL CHECK (platform IN ('slack', 'discord', 'teams')),
    workspace  text NOT NULL,  -- Slack's team id, Teams' tenant id; '' for Discord, whose user ids are global
    chat_user  text NOT NULL,  -- the platform's user id (Teams: the Entra object id)
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform, workspace, chat_user)
);

CREATE TABLE IF NOT EXISTS chat_link_codes (
    sha256     bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL
);
