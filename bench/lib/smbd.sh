# shellcheck shell=bash
# A throwaway Samba server for the SMB benches (bench/smb.sh,
# bench/smb_phases.sh), sourced by them; needs root.
#
#   start_smbd WORK USER   starts smbd on a free loopback port serving
#                          WORK/share to USER (made if missing) with a new
#                          password; sets PORT, PASS and SMBD_PID
#   stop_smbd              stops smbd and every child of it
#
# smbd leads a session and process group of its own (setsid execs it in
# place, so its pid is the group's id), with its standard streams in a file
# and every other inherited descriptor closed: its children (smbd-notifyd,
# cleanupd, one per client) never keep the bench's output open, and smbd's
# own shutdown, which signals its process group, never reaches the bench.

SMBD_PID=""

start_smbd() {
	local work=$1 user=$2
	PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	PASS="Bench-$RANDOM-$RANDOM"
	id "$user" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin "$user"
	mkdir -p "$work"/{run,lock,state,cache,private,ncalrpc,share}
	chmod 777 "$work/share"
	cat >"$work/smb.conf" <<CONF
[global]
  server role = standalone server
  smb ports = $PORT
  interfaces = 127.0.0.1
  bind interfaces only = yes
  pid directory = $work/run
  lock directory = $work/lock
  state directory = $work/state
  cache directory = $work/cache
  private dir = $work/private
  ncalrpc dir = $work/ncalrpc
  log file = $work/log.%m
  passdb backend = tdbsam:$work/private/passdb.tdb
  server min protocol = SMB2_02
  load printers = no
  printcap name = /dev/null
  disable spoolss = yes
[share]
  path = $work/share
  read only = no
  admin users = $user
CONF
	printf '%s\n%s\n' "$PASS" "$PASS" | smbpasswd -c "$work/smb.conf" -a -s "$user" >/dev/null
	(
		for fd in /proc/"$BASHPID"/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
		done
		exec setsid smbd --foreground --no-process-group -s "$work/smb.conf"
	) </dev/null >"$work/smbd.out" 2>&1 &
	SMBD_PID=$!
	local up=0
	for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && { up=1; break; }; sleep 0.1; done
	[ "$up" = 1 ] || { echo "smbd did not listen on port $PORT:" >&2; cat "$work/smbd.out" "$work"/log.* >&2 2>/dev/null || true; return 1; }
}

stop_smbd() {
	[ -n "$SMBD_PID" ] || return 0
	kill -TERM -- "-$SMBD_PID" 2>/dev/null || true
	for _ in $(seq 30); do kill -0 -- "-$SMBD_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL -- "-$SMBD_PID" 2>/dev/null || true
	wait "$SMBD_PID" 2>/dev/null || true
	SMBD_PID=""
}
