#!/bin/bash
# Installs the real mail stack used by the end-to-end tests (test/e2e-mail): Dovecot 2.3 and
# Postfix 3.7 from Debian 12, plus swaks. Run as root; idempotent and quick when already installed.
#
# The packages are only *installed*: the tests start their own Dovecot/Postfix instances from
# rendered copies of deploy/ templates (test/support/mail-stack.ts) on free 127.0.0.1 ports.
# No system-wide dovecot or postfix may run (or stay running) on the standard ports.
set -euo pipefail

PACKAGES=(dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-pgsql dovecot-managesieved dovecot-sieve postfix postfix-pgsql swaks)
APT_OPTS=(-y -o DPkg::Lock::Timeout=600 --no-install-recommends)
export DEBIAN_FRONTEND=noninteractive

log() { echo "mail-stack install: $*"; }

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

stop_system_services() {
  # A package script or an earlier boot may have started the system-wide services (ports 25, 143,
  # 110, ...). Keep them from starting at boot, and stop running ones by the PIDs in their own pid
  # files, never by process name.
  if command -v systemctl >/dev/null; then
    # works offline too (only edits the unit symlinks); --now only where systemd is running
    local now=""; [ -d /run/systemd/system ] && now="--now"
    systemctl disable $now dovecot.service dovecot.socket postfix.service >/dev/null 2>&1 || true
  fi
  local pid f
  for f in /run/dovecot/master.pid /var/spool/postfix/pid/master.pid; do
    [ -r "$f" ] || continue
    pid=$(tr -d ' \n' < "$f")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then log "stopping system-wide service (pid $pid from $f)"; kill -TERM "$pid" || true; fi
  done
}

# The mail user and group the rig's Dovecot runs mail processes as (deploy's MAIL_UID/MAIL_GID/MAIL_GROUP
# defaults): the dict socket of the usage feed is opened to that group by name.
ensure_mail_user() {
  [ "$(id -u)" = 0 ] || return 0
  getent group 5000 >/dev/null || groupadd -g 5000 vmail
  getent passwd 5000 >/dev/null || useradd -u 5000 -g 5000 -d /var/vmail -M -s /usr/sbin/nologin vmail
}
ensure_mail_user

if [ ${#missing[@]} -eq 0 ]; then
  stop_system_services
  log "already installed ($(dovecot --version 2>/dev/null | cut -d' ' -f1), postfix $(postconf -d -h mail_version 2>/dev/null))"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then echo "mail-stack install: must run as root (missing: ${missing[*]})" >&2; exit 1; fi
log "installing ${missing[*]}"

# Package scripts must not start services: policy-rc.d answering 101 forbids every start.
# Keep an existing policy-rc.d; one we create is removed again on exit.
created_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\n# mailpanel test/mail-stack/install.sh: no service starts during package installs\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() { if [ -n "$created_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

# Postfix: no configuration of the system instance (no /etc/postfix/main.cf, nothing on port 25).
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections

# apt-get update only when needed: no package lists yet, or they cannot provide a package
# (an outdated list may also point at files the mirror no longer has: then update and retry once).
needs_update=""
for p in "${missing[@]}"; do
  cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then needs_update=1; break; fi
done
if [ -n "$needs_update" ]; then
  log "apt-get update"
  apt-get update -o DPkg::Lock::Timeout=600 -qq
fi
if ! apt-get install "${APT_OPTS[@]}" -qq "${missing[@]}"; then
  log "install failed; apt-get update and retry"
  apt-get update -o DPkg::Lock::Timeout=600 -qq
  apt-get install "${APT_OPTS[@]}" -qq "${missing[@]}"
fi

stop_system_services
log "done ($(dovecot --version | cut -d' ' -f1), postfix $(postconf -d -h mail_version))"
