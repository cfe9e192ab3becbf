#!/bin/sh
# Handshake latency, run as root: the median of N logins by OpenSSH's `ssh -W` (key exchange,
# publickey authentication, one direct-tcpip channel to a service that closes at once) against
# burrowd started as root (a process per connection, privilege drop), burrowd started as the
# user (one process), Dropbear and sshd, all on 127.0.0.1 with a throwaway user.
#   cargo build --release -p burrow-cli && sudo contrib/bench/handshake.sh [N]
# SSH_EXTRA adds ssh options, e.g. SSH_EXTRA="-o KexAlgorithms=curve25519-sha256" to give every
# server the same key exchange (ssh 9.2 picks sntrup761x25519 where offered; Dropbear 2022.83
# has no sntrup761, so by default it runs the cheaper curve25519).
set -eu
N=${1:-20}
BURROWD=${BURROWD:-target/release/burrowd}
user=bwbench$$
work=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    sleep 0.5
    userdel -r -f "$user" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
useradd -m -U -p '*' -s /bin/sh "$user"
home=$(getent passwd "$user" | cut -d: -f6)
ssh-keygen -q -t ed25519 -N '' -f "$work/id"
install -d -o "$user" -g "$user" -m 700 "$home/.ssh"
install -o "$user" -g "$user" -m 600 "$work/id.pub" "$home/.ssh/authorized_keys"
install -m 755 "$BURROWD" "$work/burrowd"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
closer=$(port)
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(128)
while True:
    c, _ = s.accept(); c.close()' "$closer" &
pids="$pids $!"

wait_port() { for _ in $(seq 100); do nc -z 127.0.0.1 "$1" 2>/dev/null && return 0; python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1]))).close()' "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

measure() { # name port
    times=""
    for _ in $(seq "$N"); do
        t0=$(date +%s%N)
        ssh -F /dev/null -i "$work/id" -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no \
            -o BatchMode=yes -o IdentitiesOnly=yes -o LogLevel=ERROR ${SSH_EXTRA:-} -p "$2" \
            -W "127.0.0.1:$closer" "$user@127.0.0.1" </dev/null >/dev/null || echo "$1: ssh failed" >&2
        t1=$(date +%s%N)
        times="$times $(( (t1 - t0) / 1000 ))"
    done
    med=$(echo "$times" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    min=$(echo "$times" | tr ' ' '\n' | grep . | sort -n | head -1)
    printf '%-34s median %6.1f ms   min %6.1f ms   (%s logins)\n' "$1" "$(echo "$med/1000" | bc -l)" "$(echo "$min/1000" | bc -l)" "$N"
}

# burrowd as root (privilege separated)
"$work/burrowd" --generate-host-key "$work/root_host" >/dev/null
p1=$(port)
printf 'Port %s\nListenAddress 127.0.0.1\nHostKey %s\nLogLevel ERROR\nMaxStartups 100\n' "$p1" "$work/root_host" >"$work/root.cfg"
"$work/burrowd" -D -e -f "$work/root.cfg" 2>"$work/root.log" &
pids="$pids $!"

# burrowd as the user (one process)
install -d -o "$user" -g "$user" -m 700 "$work/u"
runuser -u "$user" -- "$work/burrowd" --generate-host-key "$work/u/host" >/dev/null
p2=$(port)
printf 'Port %s\nListenAddress 127.0.0.1\nHostKey %s\nLogLevel ERROR\nMaxStartups 100\n' "$p2" "$work/u/host" >"$work/user.cfg"
chmod 644 "$work/user.cfg"
runuser -u "$user" -- "$work/burrowd" -D -e -f "$work/user.cfg" 2>"$work/user.log" &
pids="$pids $!"

# Dropbear
dropbearkey -t ed25519 -f "$work/db_host" >/dev/null 2>&1
p3=$(port)
dropbear -F -E -s -p "127.0.0.1:$p3" -r "$work/db_host" 2>"$work/db.log" &
pids="$pids $!"

# sshd
mkdir -p -m 0755 /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$work/sshd_host"
p4=$(port)
printf 'ListenAddress 127.0.0.1\nUsePAM no\nUseDNS no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nAllowTcpForwarding yes\nPidFile none\nMaxStartups 100\nLogLevel ERROR\n' >"$work/sshd.cfg"
/usr/sbin/sshd -D -e -f "$work/sshd.cfg" -h "$work/sshd_host" -p "$p4" 2>"$work/sshd.log" &
pids="$pids $!"

for p in $p1 $p2 $p3 $p4; do wait_port "$p"; done
measure "burrowd as root (privsep)" "$p1"
measure "burrowd as the user (1 process)" "$p2"
measure "dropbear $(dropbear -V 2>&1 | head -1 | awk '{print $2}')" "$p3"
measure "sshd ($(ssh -V 2>&1 | cut -d, -f1))" "$p4"
