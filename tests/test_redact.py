"""Secrets never reach memory or exports: each kind is caught where people
actually paste it, and ordinary code and prose pass through untouched.

The fake secrets are built at run time from a seeded generator, shaped like the
real thing (prefix, length, alphabet), so this file holds nothing a secret
scanner or a push-protection hook would flag.
"""

from __future__ import annotations

import base64
import json
import random
import string

import pytest

from llm_session_manager.core.redact import KINDS, Redacted, marker, redact, redact_many, redact_text, whole_words

_rng = random.Random(20250101)
ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
B64URL = ALNUM + "-_"


def fake(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


def b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def pem(label: str, lines: int = 6, newline: str = "\n") -> str:
    body = newline.join(fake(64, ALNUM + "+/") for _ in range(lines))
    return f"-----BEGIN {label}-----{newline}{body}{newline}-----END {label}-----"


ANTHROPIC = "sk-ant-" + "api03-" + fake(93, B64URL) + "AA"
OPENAI_PROJECT = "sk-" + "proj-" + fake(48, B64URL) + "T3Blbk" + "FJ" + fake(48, B64URL)
OPENAI_LEGACY = "sk-" + fake(20) + "T3Blbk" + "FJ" + fake(20)
GITHUB_PAT = "ghp_" + fake(36)
GITHUB_OAUTH = "gho_" + fake(36)
GITHUB_USER_TO_SERVER = "ghu_" + fake(36)
GITHUB_APP = "ghs_" + fake(36)
GITHUB_REFRESH = "ghr_" + fake(36)
GITHUB_FINE_GRAINED = "github_pat_" + fake(22) + "_" + fake(59)
GITLAB = "glpat-" + fake(20, B64URL)
SLACK_BOT = "xoxb-" + fake(12, string.digits) + "-" + fake(13, string.digits) + "-" + fake(24)
SLACK_USER = "xoxp-" + "-".join(fake(12, string.digits) for _ in range(3)) + "-" + fake(32, "abcdef0123456789")
SLACK_WEBHOOK_PATH = "T" + fake(8, UPPER_DIGITS) + "/B" + fake(10, UPPER_DIGITS) + "/" + fake(24)
STRIPE_LIVE = "sk_" + "live_" + fake(24)
STRIPE_RESTRICTED = "rk_" + "live_" + fake(24)
AWS_KEY_ID = "AKIA" + fake(16, UPPER_DIGITS)
AWS_SESSION_KEY_ID = "ASIA" + fake(16, UPPER_DIGITS)
AWS_SECRET = fake(40, ALNUM + "/+")
GOOGLE = "AIza" + fake(35, B64URL)
NPM = "npm_" + fake(36)
HUGGING_FACE = "hf_" + fake(34, string.ascii_letters)
JWT = ".".join((b64url({"alg": "HS256", "typ": "JWT"}), b64url({"sub": "42", "iat": 1716239022}), fake(43, B64URL)))
OPENSSH_KEY = pem("OPENSSH PRIVATE KEY")
DB_PASSWORD = "pG7!" + fake(12)
PLAIN_PASSWORD = "Tr0ub4dor&3"


def assert_gone(result: Redacted, *secrets: str) -> None:
    """Neither half of any secret survives: a partial leak is a leak."""
    for secret in secrets:
        half = len(secret) // 2
        for part in (secret[:half], secret[half:]):
            assert part not in result.text, f"part of {secret[:6]}... leaked"


# --- every kind, alone --------------------------------------------------------

ONE_LINERS = [
    ("anthropic-api-key", f"ANTHROPIC_API_KEY={ANTHROPIC}", ANTHROPIC),
    ("openai-api-key", f"client = OpenAI(api_key='{OPENAI_PROJECT}')", OPENAI_PROJECT),
    ("openai-api-key", f"openai.api_key = \"{OPENAI_LEGACY}\"", OPENAI_LEGACY),
    ("github-token", f"git push https://{GITHUB_PAT}@github.com/ada/repo.git", GITHUB_PAT),
    ("github-token", f"GH_TOKEN={GITHUB_OAUTH}", GITHUB_OAUTH),
    ("github-token", f"token: {GITHUB_USER_TO_SERVER}", GITHUB_USER_TO_SERVER),
    ("github-token", f"x-access-token:{GITHUB_APP}", GITHUB_APP),
    ("github-token", f"refresh={GITHUB_REFRESH}", GITHUB_REFRESH),
    ("github-token", f"export GITHUB_TOKEN={GITHUB_FINE_GRAINED}", GITHUB_FINE_GRAINED),
    ("gitlab-token", f"git clone https://oauth2:{GITLAB}@gitlab.com/team/app.git", GITLAB),
    ("slack-token", f"SLACK_BOT_TOKEN={SLACK_BOT}", SLACK_BOT),
    ("slack-token", f"slack_user_token: {SLACK_USER}", SLACK_USER),
    ("slack-webhook", f"WEBHOOK=https://hooks.slack.com/services/{SLACK_WEBHOOK_PATH}", SLACK_WEBHOOK_PATH),
    ("stripe-key", f"stripe.api_key = '{STRIPE_LIVE}'", STRIPE_LIVE),
    ("stripe-key", f"STRIPE_RESTRICTED={STRIPE_RESTRICTED}", STRIPE_RESTRICTED),
    ("aws-access-key", f"aws_access_key_id = {AWS_KEY_ID}", AWS_KEY_ID),
    ("aws-access-key", f'"AccessKeyId": "{AWS_SESSION_KEY_ID}",', AWS_SESSION_KEY_ID),
    ("aws-secret-key", f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
    ("aws-secret-key", f'"SecretAccessKey": "{AWS_SECRET}",', AWS_SECRET),
    ("google-api-key", f"https://maps.googleapis.com/maps/api/geocode/json?address=x&key={GOOGLE}", GOOGLE),
    ("npm-token", f"//registry.npmjs.org/:_authToken={NPM}", NPM),
    ("huggingface-token", f"huggingface-cli login --token {HUGGING_FACE}", HUGGING_FACE),
    ("jwt", f"Cookie: session={JWT}", JWT),
    ("private-key", OPENSSH_KEY, OPENSSH_KEY.splitlines()[2]),
    ("connection-string", f"DATABASE_URL=postgres://app:{DB_PASSWORD}@db.internal:5432/app", DB_PASSWORD),
    ("basic-auth", f"pip install --index-url https://ada:{DB_PASSWORD}@pypi.corp.example/simple pkg", DB_PASSWORD),
    ("bearer-token", f"Authorization: Bearer {fake(40, B64URL)}", None),
    ("password", f"PGPASSWORD={PLAIN_PASSWORD} psql -h db -U app", PLAIN_PASSWORD),
    ("secret", f"JWT_SECRET='{fake(32)}'", None),
    ("token", f"export VAULT_TOKEN={fake(28)}", None),
    ("api-key", f"X-Api-Key: {fake(32)}", None),
]

ONE_LINER_IDS = [f"{kind}-{i}" for i, (kind, *_) in enumerate(ONE_LINERS)]


@pytest.mark.parametrize(("kind", "text", "secret"), ONE_LINERS, ids=ONE_LINER_IDS)
def test_each_kind_is_caught_and_named(kind: str, text: str, secret: str | None) -> None:
    result = redact(text)
    assert kind in result.found, result
    assert marker(kind) in result.text
    if secret is not None:
        assert_gone(result, secret)


def test_every_kind_has_a_sample() -> None:
    assert {kind for kind, _, _ in ONE_LINERS} == set(KINDS)


# --- where people paste them --------------------------------------------------


def test_a_dotenv_file_keeps_every_name_and_loses_every_value() -> None:
    env = f"""# .env — local development
APP_ENV=development
DEBUG=true
PORT=8000
DATABASE_URL=postgresql://app:{DB_PASSWORD}@localhost:5432/app_dev
REDIS_URL=redis://:{PLAIN_PASSWORD}@localhost:6379/0
ANTHROPIC_API_KEY={ANTHROPIC}
OPENAI_API_KEY="{OPENAI_PROJECT}"
AWS_ACCESS_KEY_ID={AWS_KEY_ID}
AWS_SECRET_ACCESS_KEY={AWS_SECRET}
AWS_REGION=eu-west-1
STRIPE_SECRET_KEY={STRIPE_LIVE}
SESSION_SECRET='{fake(40)}'
ADMIN_PASSWORD={PLAIN_PASSWORD}
SMTP_PASSWORD=hunter22
"""
    result = redact(env)
    assert_gone(result, DB_PASSWORD, PLAIN_PASSWORD, ANTHROPIC, OPENAI_PROJECT, AWS_KEY_ID, AWS_SECRET, STRIPE_LIVE)
    assert "hunter22" not in result.text
    assert "ADMIN_PASSWORD=[REDACTED:password]" in result.text
    assert "SMTP_PASSWORD=[REDACTED:password]" in result.text
    assert "AWS_SECRET_ACCESS_KEY=[REDACTED:aws-secret-key]" in result.text
    assert "postgresql://app:[REDACTED:connection-string]@localhost:5432/app_dev" in result.text
    assert "redis://:[REDACTED:connection-string]@localhost:6379/0" in result.text
    for untouched in ("APP_ENV=development", "DEBUG=true", "PORT=8000", "AWS_REGION=eu-west-1"):
        assert untouched in result.text
    assert result.found == {
        "anthropic-api-key": 1, "openai-api-key": 1, "stripe-key": 1, "aws-access-key": 1,
        "connection-string": 2, "aws-secret-key": 1, "secret": 1, "password": 2,
    }  # fmt: skip


def test_a_docker_compose_file() -> None:
    compose = f"""services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: {PLAIN_PASSWORD}
      POSTGRES_DB: app
  worker:
    image: ghcr.io/ada/worker@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
    environment:
      - CELERY_BROKER_URL=amqp://guest:{DB_PASSWORD}@rabbitmq:5672//
      - MONGO_URL=mongodb+srv://svc:{DB_PASSWORD}@cluster0.ab1cd.mongodb.net/prod
      - HF_TOKEN={HUGGING_FACE}
      - GITHUB_TOKEN=${{GITHUB_TOKEN}}
    secrets:
      - db_password
"""
    result = redact(compose)
    assert_gone(result, PLAIN_PASSWORD, DB_PASSWORD, HUGGING_FACE)
    assert "POSTGRES_PASSWORD: [REDACTED:password]" in result.text
    assert "amqp://guest:[REDACTED:connection-string]@rabbitmq" in result.text
    assert "mongodb+srv://svc:[REDACTED:connection-string]@cluster0" in result.text
    assert "GITHUB_TOKEN=${GITHUB_TOKEN}" in result.text  # a reference, not a value
    assert "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" in result.text
    assert result.found == {"huggingface-token": 1, "connection-string": 2, "password": 1}


def test_a_python_settings_module() -> None:
    settings = f'''"""Production settings."""
import os

SECRET_KEY = "django-insecure-{fake(40, string.ascii_lowercase + string.digits + "!@#%^&*(-_=+)")}"
DEBUG = False
ALLOWED_HOSTS = ["app.example.com"]
DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "app",
        "USER": "app",
        "PASSWORD": "{PLAIN_PASSWORD}",
        "HOST": os.environ.get("DB_HOST", "localhost"),
    }}
}}
EMAIL_HOST_PASSWORD = os.environ["EMAIL_HOST_PASSWORD"]
SENTRY_DSN = "https://{fake(32, "0123456789abcdef")}@o12345.ingest.sentry.io/678"
GOOGLE_MAPS_API_KEY = "{GOOGLE}"
api_key: str = "{fake(32)}"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [{{"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"}}]
'''
    result = redact(settings)
    assert_gone(result, PLAIN_PASSWORD, GOOGLE)
    assert 'SECRET_KEY = "[REDACTED:secret]"' in result.text
    assert '"PASSWORD": "[REDACTED:password]"' in result.text
    assert 'api_key: str = "[REDACTED:api-key]"' in result.text
    assert 'EMAIL_HOST_PASSWORD = os.environ["EMAIL_HOST_PASSWORD"]' in result.text
    assert "MinimumLengthValidator" in result.text and "Argon2PasswordHasher" in result.text
    assert result.found == {"google-api-key": 1, "secret": 1, "password": 1, "api-key": 1}


def test_shell_history_lines() -> None:
    history = f"""cd ~/src/app && git pull
export OPENAI_API_KEY={OPENAI_LEGACY}
mysql -h db.internal -u root -p{PLAIN_PASSWORD} app < dump.sql
docker login ghcr.io -u ada --password {GITHUB_PAT}
psql "postgresql://app:{DB_PASSWORD}@db.internal/app" -c 'select 1'
vault login -method=userpass username=ada password={PLAIN_PASSWORD}
./deploy.sh --api-token={fake(32)} --env prod
sshpass -p '{PLAIN_PASSWORD}' ssh deploy@host
echo $AWS_SECRET_ACCESS_KEY
"""
    result = redact(history)
    assert_gone(result, OPENAI_LEGACY, PLAIN_PASSWORD, GITHUB_PAT, DB_PASSWORD)
    assert "mysql -h db.internal -u root -p[REDACTED:password] app < dump.sql" in result.text
    assert "--password [REDACTED:github-token]" in result.text
    assert "--api-token=[REDACTED:token] --env prod" in result.text
    assert "echo $AWS_SECRET_ACCESS_KEY" in result.text
    assert "cd ~/src/app && git pull" in result.text


def test_curl_commands() -> None:
    bearer = fake(48, B64URL)
    curl = f"""curl https://api.anthropic.com/v1/messages \\
  -H "x-api-key: {ANTHROPIC}" \\
  -H "anthropic-version: 2023-06-01" \\
  -d '{{"model": "claude-sonnet-4-5", "max_tokens": 1024}}'
curl -H 'Authorization: Bearer {bearer}' https://api.example.com/v2/items
curl -u admin:{PLAIN_PASSWORD} https://jenkins.internal/api/json
curl -H "Authorization: Basic {base64.b64encode(b"ada:" + PLAIN_PASSWORD.encode()).decode()}" https://x.example
curl -H "Authorization: Bearer $TOKEN" https://api.example.com
"""
    result = redact(curl)
    assert_gone(result, ANTHROPIC, bearer, PLAIN_PASSWORD)
    assert '-H "x-api-key: [REDACTED:anthropic-api-key]"' in result.text
    assert "Authorization: Bearer [REDACTED:bearer-token]" in result.text
    assert "curl -u admin:[REDACTED:basic-auth] https://jenkins" in result.text
    assert "Authorization: Basic [REDACTED:basic-auth]" in result.text
    assert 'Authorization: Bearer $TOKEN"' in result.text
    assert '"max_tokens": 1024' in result.text


def test_a_json_config() -> None:
    config = json.dumps(
        {
            "mcpServers": {
                "github": {"command": "npx", "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": GITHUB_FINE_GRAINED}},
                "postgres": {"args": [f"postgresql://ro:{DB_PASSWORD}@localhost/db"]},
            },
            "api_key": fake(32),
            "client_secret": fake(40),
            "password": PLAIN_PASSWORD,
            "token_type": "bearer",
            "max_tokens": 4096,
            "primaryKey": "id",
            "private_key": pem("PRIVATE KEY", newline="\n"),
        },
        indent=2,
    )
    result = redact(config)
    assert_gone(result, GITHUB_FINE_GRAINED, DB_PASSWORD, PLAIN_PASSWORD)
    assert '"api_key": "[REDACTED:api-key]"' in result.text
    assert '"client_secret": "[REDACTED:secret]"' in result.text
    assert '"password": "[REDACTED:password]"' in result.text
    redacted_key = "-----BEGIN PRIVATE KEY-----\\n[REDACTED:private-key]\\n-----END PRIVATE KEY-----"
    assert f'"private_key": "{redacted_key}"' in result.text
    for untouched in ('"token_type": "bearer"', '"max_tokens": 4096', '"primaryKey": "id"'):
        assert untouched in result.text
    json.loads(result.text)  # still valid JSON


def test_a_chat_message() -> None:
    message = (
        f"here is my key {ANTHROPIC} — can you check why the SDK says 401? "
        f"Also my jwt is {JWT} and the db password: {PLAIN_PASSWORD}"
    )
    result = redact(message)
    assert_gone(result, ANTHROPIC, JWT, PLAIN_PASSWORD)
    assert result.text.startswith("here is my key [REDACTED:anthropic-api-key] — can you check")
    assert result.found == {"anthropic-api-key": 1, "jwt": 1, "password": 1}


@pytest.mark.parametrize("label", ["RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY",
                                   "ENCRYPTED PRIVATE KEY", "PGP PRIVATE KEY BLOCK"])  # fmt: skip
def test_private_key_blocks_keep_their_armour(label: str) -> None:
    key = pem(label)
    result = redact(f"key file:\n{key}\nend of paste")
    armoured = f"-----BEGIN {label}-----\n[REDACTED:private-key]\n-----END {label}-----"
    assert result.text == f"key file:\n{armoured}\nend of paste"
    assert result.found == {"private-key": 1}


def test_a_private_key_cut_off_mid_paste_still_loses_its_body() -> None:
    body = "\n".join(fake(64, ALNUM + "+/") for _ in range(3))
    result = redact(f"-----BEGIN RSA PRIVATE KEY-----\n{body}")
    assert result.text == "-----BEGIN RSA PRIVATE KEY-----\n[REDACTED:private-key]"


def test_xml_and_netrc() -> None:
    text = f"""<server><id>corp</id><username>ada</username><password>{PLAIN_PASSWORD}</password></server>
machine api.heroku.com login ada@example.com password {PLAIN_PASSWORD}
"""
    result = redact(text)
    assert_gone(result, PLAIN_PASSWORD)
    assert "<password>[REDACTED:password]</password>" in result.text
    assert "<username>ada</username>" in result.text


def test_a_session_log_line_keeps_its_json_valid() -> None:
    """Tool output inside a Claude Code log is JSON-escaped: newlines are \\n."""
    env_file = f"DB_PASSWORD={PLAIN_PASSWORD}\nAPI_TOKEN={fake(32)}\nDEBUG=1\n" + pem("EC PRIVATE KEY")
    line = json.dumps({"type": "user", "message": {"content": [{"type": "tool_result", "content": env_file}]}})
    result = redact(line)
    assert_gone(result, PLAIN_PASSWORD)
    content = json.loads(result.text)["message"]["content"][0]["content"]
    assert content.startswith("DB_PASSWORD=[REDACTED:password]\nAPI_TOKEN=[REDACTED:token]\nDEBUG=1\n")
    assert content.endswith("-----BEGIN EC PRIVATE KEY-----\n[REDACTED:private-key]\n-----END EC PRIVATE KEY-----")
    assert result.found == {"password": 1, "token": 1, "private-key": 1}


def test_sql_wp_config_and_default_arguments() -> None:
    default = fake(20)
    text = f"""define( 'DB_PASSWORD', '{PLAIN_PASSWORD}' );
CREATE ROLE app WITH LOGIN PASSWORD '{DB_PASSWORD}';
ALTER USER 'app'@'%' IDENTIFIED BY '{DB_PASSWORD}';
SECRET_KEY = os.environ.get("SECRET_KEY", "{default}")
"""
    result = redact(text)
    assert_gone(result, PLAIN_PASSWORD, DB_PASSWORD, default)
    assert result.found == {"password": 3, "secret": 1}


def test_a_value_is_redacted_whole_even_with_shell_characters_in_it() -> None:
    result = redact(f"the admin password: {PLAIN_PASSWORD} (please rotate)")
    assert result.text == "the admin password: [REDACTED:password] (please rotate)"


def test_a_query_string_value_ends_at_the_next_parameter() -> None:
    token = fake(32)
    result = redact(f"GET /v1/data?access_token={token}&page=2&sort=asc HTTP/1.1")
    assert result.text == "GET /v1/data?access_token=[REDACTED:token]&page=2&sort=asc HTTP/1.1"


# --- what must pass through untouched -----------------------------------------

NEGATIVE_CORPUS = f"""commit 3f786850e387550fdab836ed7e6dc881de23001b
Merge: 1a2b3c4 5d6e7f8
Author: Ada Lovelace <ada@example.com>

    Fix token counting for cache reads (closes #512)

e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  dist/app-1.2.0.tar.gz
d41d8cd98f00b204e9800998ecf8427e  empty.txt
request 123e4567-e89b-12d3-a456-426614174000 took 41ms
golang.org/x/text v0.3.7 h1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=
"node_modules/lodash": {{
  "version": "4.17.21",
  "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz",
  "integrity": "sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg=="
}},
<img src="data:image/png;base64,{base64.b64encode(bytes(_rng.randrange(256) for _ in range(1500))).decode()}">
class AbstractSingletonProxyFactoryBeanTokenizerConfigurationKeyProviderImpl: pass
AUTHORIZATION_CODE_GRANT_TYPE_IDENTIFIER_FOR_OAUTH2_FLOWS = 3
.sk-folding-cube .sk-cube {{ animation: sk-foldCubeAngle 2.4s infinite linear; }}

Choose a strong password and never share your tokens. The API key lives in the
keychain; rotate secrets every 90 days. Password: at least 12 characters.
Token: see the section below. A bearer token is sent in the Authorization header.

import os, getpass
__all__ = ["APIKey", "Principal", "Scope"]
defaults = dict.fromkeys(['username', 'password', 'repository'], '')
KINDS = (
    "anthropic-api-key", "openai-api-key",
)
Token.String.Symbol: "noinherit",
"initial": {{"key_sha256": "bb1636883c2707b51c5b7fc26c6927af4430f2e0785a8c7bc886337f919f9edf", "pos": 9}},
Pass :meth:`peek` a default value to return that instead of raising
password = ":****"
key_down_event=N4BdxOFWSuA8SADbpnIrSLeZBoBi4b
publicToken = "9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit"
notes = "Maven - io.jsonwebtoken:jjwt-jackson-0.11.2"
const validKeyChars = "0123456789abcdefghijklmnopqrstuvwxyz_-."
<entry key="jetbrains.mps.v8_elimination" value="executed" />
password: z.string().min(8)
password = var.db_password
password: {{{{ .Values.db.password }}}}
password = request.form["password"]
self.api_key = api_key
export const TOKEN_KEY = "auth_token";
cursor.execute("UPDATE users SET password = %s", (pw,))
parser.add_argument("--token", help="GitHub token")
The form rejects the password 'field' when it is empty.
secretKeyRef:
  name: app
  key: password
token = tokenizer.encode(x)
tokens = tokenizer(text)["input_ids"]
password = getpass()
password = getpass.getpass("Password: ")
max_tokens = 4096
api_key = os.environ["OPENAI_API_KEY"]
secret = os.getenv("APP_SECRET")
headers = {{"Authorization": f"Bearer {{token}}"}}
KEY_LENGTH = 32
primary_key = "id"
cache_key = f"session:{{session_id}}"
eos_token = "</s>"
pad_token: "<pad>"
password_hash = "$2b$12$KIXQJQ0h3bGJxY0xTbWFtZ.dVw9s1y0R7Ez3nV4C5x6Z8k0a2b4c6"
for key, value in mapping.items():
    d[key] = value
def check_password(password: str) -> bool:
    return bcrypt.checkpw(password.encode(), stored_hash)
const {{ token, refreshToken }} = await login(user, password);
session.auth = (user, password)
user = {{ password: hashedPassword }}
if password == confirm_password:
    pass

# docs and templates
OPENAI_API_KEY=your_api_key_here
ANTHROPIC_API_KEY=sk-ant-...
DB_PASSWORD=<your-password>
GITHUB_TOKEN=${{GITHUB_TOKEN}}
  token: ${{{{ secrets.GITHUB_TOKEN }}}}
  password: "{{{{ vault_db_password }}}}"
postgres://user:${{PGPASSWORD}}@localhost/db
postgresql://{{user}}:{{password}}@{{host}}/{{db}}
curl -H "Authorization: Bearer $TOKEN" https://api.example.com
PWD=/home/ada/src/app
TOKENIZERS_PARALLELISM=false
{{"input_tokens": 1234, "output_tokens": 56, "cache_read_tokens": 7890, "token_count": 3}}
ssh -i ~/.ssh/id_ed25519 git@github.com
https://docs.example.com:8443/path?page=2
git@github.com:ada/repo.git
"""


def test_ordinary_code_and_prose_pass_through_untouched() -> None:
    result = redact(NEGATIVE_CORPUS)
    assert result.found == {}
    assert result.text == NEGATIVE_CORPUS


def test_text_without_candidates_comes_back_as_is() -> None:
    text = "Refactor the session store so that ingest reads only appended bytes.\n" * 1000
    assert redact(text).text is text


# --- idempotence --------------------------------------------------------------

IDEMPOTENCE_SAMPLES = [text for _, text, _ in ONE_LINERS] + [NEGATIVE_CORPUS]


@pytest.mark.parametrize("text", IDEMPOTENCE_SAMPLES)
def test_redacting_twice_changes_nothing_more(text: str) -> None:
    once = redact(text)
    twice = redact(once.text)
    assert twice.text == once.text
    assert twice.found == {}


def test_redact_text_is_the_text_of_redact() -> None:
    text = f"export GITLAB_TOKEN={GITLAB}"
    assert redact_text(text) == redact(text).text == "export GITLAB_TOKEN=[REDACTED:gitlab-token]"
    assert redact_text(redact_text(text)) == redact_text(text)


# --- secrets named by their context, not an assignment -------------------------

PROSE = [
    ("aws-secret-key", f"Use key {AWS_KEY_ID} with secret {AWS_SECRET} for the deploy.", AWS_SECRET),
    ("aws-secret-key", f"creds for the bucket: {AWS_KEY_ID} / {AWS_SECRET}", AWS_SECRET),
    ("aws-secret-key", f"the AWS secret access key is {AWS_SECRET}", AWS_SECRET),
    ("token", f"Here is the token you asked for: {fake(32)} (expires Friday)", None),
    ("secret", f"The webhook signing secret, {fake(40, B64URL)}, goes in the vault.", None),
    ("password", "ok, the password is Tr0ub4dor&3 for now", "Tr0ub4dor&3"),
    ("password", "my password for the staging db was hunter22!", "hunter22!"),
]


@pytest.mark.parametrize(("kind", "text", "secret"), PROSE, ids=[f"{k}-{i}" for i, (k, *_) in enumerate(PROSE)])
def test_a_secret_said_in_a_sentence_is_caught_by_the_words_around_it(kind: str, text: str, secret: str | None) -> None:
    result = redact(text)
    assert kind in result.found, result
    if secret is not None:
        assert_gone(result, secret)


def test_the_access_key_id_and_its_secret_both_go_and_the_sentence_stays() -> None:
    result = redact(f"key {AWS_KEY_ID} with secret {AWS_SECRET}")
    assert result.text == "key [REDACTED:aws-access-key] with secret [REDACTED:aws-secret-key]"


PROSE_NEGATIVES = """\
The key insight is that commit 3f786850e387550fdab836ed7e6dc881de23001b fixed the token refresh.
Secret rotation runs weekly; the key is kept in /home/ada/.config/app/credentials/production.json now.
The API token is stored in the keychain under getUserAccessTokenFromCacheOrRefresh2 today.
Use the key 123e4567-e89b-12d3-a456-426614174000 to look the row up; the secret is in Vault.
The password is required. The password is stored hashed. A password is 12 characters at least.
the cache key is sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg==
if password is None:
    raise ValueError("the token is missing")
tokens used: 1234567890123456789012345 of the budget
monkey keyboard turnkey secretary tokenizer: all words, none of them secrets
"""


def test_prose_about_secrets_hashes_paths_and_ids_pass_through() -> None:
    result = redact(PROSE_NEGATIVES)
    assert result.found == {}
    assert result.text == PROSE_NEGATIVES


# --- many texts at once, as ingest redacts them --------------------------------


def test_redacting_many_texts_at_once_is_redacting_each() -> None:
    texts = [text for _, text, _ in ONE_LINERS + PROSE] + NEGATIVE_CORPUS.splitlines() + ["", "plain words"]
    texts += [f"{a}\n{b}" for a, b in zip(texts[::3], texts[1::3], strict=False)]
    assert redact_many(texts) == [redact_text(t) for t in texts]


def test_a_first_scans_batch_is_redacted_as_a_few_texts_are() -> None:
    # A few texts (a status line's one response) are searched with str.find; a first
    # scan's hundreds of kilobytes with compiled patterns: both find every secret.
    texts = [text for _, text, _ in ONE_LINERS + PROSE] + NEGATIVE_CORPUS.splitlines() + ["", "plain words"]
    few = redact_many(texts)
    many = texts * (200_000 // sum(len(t) + 1 for t in texts) + 1)
    assert redact_many(many) == few * (len(many) // len(texts)) == [redact_text(t) for t in many]


def test_texts_without_secrets_come_back_as_the_same_objects() -> None:
    texts = ["Refactor the session store.", "tests pass", "KeyError: 'x'", "see https://example.com/docs"]
    assert all(a is b for a, b in zip(redact_many(texts), texts, strict=True))


# --- titles, cut short at their source -----------------------------------------


def test_a_title_cut_through_a_secret_loses_the_cut_word() -> None:
    prompt = f"Deploy with key {AWS_KEY_ID} and secret {AWS_SECRET} to the bucket"
    for title in (prompt[:80], prompt[:79] + "…"):  # Claude Code cuts bare, the others add an ellipsis
        cut = whole_words(title)
        assert cut.endswith("secret…")
        assert redact_text(cut) == "Deploy with key [REDACTED:aws-access-key] and secret…"


def test_a_title_that_was_not_cut_is_kept_whole() -> None:
    assert whole_words("Add pagination to the list endpoint") == "Add pagination to the list endpoint"
