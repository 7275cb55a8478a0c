#!/usr/bin/env bash
# pgvector for the team server's PostgreSQL (docs/team.md#pgvector), from Debian's packages:
# the binary package where the release has one (Debian 13: postgresql-17-pgvector), else
# built from the pgvector source package of Debian's next release against this release's
# postgresql-server-dev-<ver> (Debian 12 has no pgvector package). The source comes through
# apt with a private list (nothing is added to the system's apt sources). Without it the
# team server computes similarity itself; so this never fails a build, it says what is missing.
set -euo pipefail

NEXT_RELEASE=${PGVECTOR_SOURCE_SUITE:-trixie}
ver=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
if [ -z "$ver" ]; then echo "note: no PostgreSQL server installed; skipping pgvector"; exit 0; fi
if [ -f "/usr/share/postgresql/$ver/extension/vector.control" ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "note: install pgvector for PostgreSQL $ver (docs/team.md#pgvector); the team tests use the fallback"; exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if apt-get install -y -qq "postgresql-$ver-pgvector" >/dev/null 2>&1; then exit 0; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
apt-get install -y -qq "postgresql-server-dev-$ver" dpkg-dev make gcc >/dev/null 2>&1
mkdir -p "$work/lists/partial" "$work/src"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $NEXT_RELEASE main" \
  > "$work/sources.list"
# apt checks the lists' signatures with Debian's archive key and the files' checksums against them.
apt_private=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
             -o "Dir::State::Lists=$work/lists" -o APT::Sandbox::User=root)
apt-get -qq "${apt_private[@]}" update
(cd "$work/src" && apt-get -qq "${apt_private[@]}" source --download-only pgvector 2>/dev/null \
  && dpkg-source -x pgvector_*.dsc build >/dev/null 2>&1)
# OPTFLAGS empty, as Debian builds it: no -march=native, so the library runs on any amd64.
make -s -C "$work/src/build" PG_CONFIG="/usr/lib/postgresql/$ver/bin/pg_config" OPTFLAGS="" >/dev/null
make -s -C "$work/src/build" PG_CONFIG="/usr/lib/postgresql/$ver/bin/pg_config" OPTFLAGS="" install >/dev/null
echo "pgvector $(sed -n "s/^default_version = '\(.*\)'/\1/p" "/usr/share/postgresql/$ver/extension/vector.control") built for PostgreSQL $ver"
