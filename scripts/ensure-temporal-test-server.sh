#!/usr/bin/env bash
# Makes Temporal's time-skipping test server (the Java one the SDK's createTimeSkipping runs)
# available and prints the path of its launcher on the last line. The SDK would download it
# from a host this machine cannot reach, so it comes from Maven Central instead
# (io.temporal:temporal-test-server and its dependencies) into the project cache, with a
# class-data-sharing archive of the classes it loads at start: the JVM then starts in about
# half the time, and every time-skipping test file starts one.
# The launcher takes the server's own arguments: <port> [--enable-time-skipping].
set -euo pipefail
VERSION=${TEMPORAL_TEST_SERVER_VERSION:-1.38.0}
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/warden/temporal-test-server/$VERSION"
LAUNCHER="$CACHE/temporal-test-server"
# Written last: a run cut short leaves no launcher that looks finished.
if [[ -x $LAUNCHER && -f $CACHE/.complete ]]; then
  echo "$LAUNCHER"; exit 0
fi

if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
    echo "ensure-temporal-test-server: installing a JDK and Maven from Debian's packages..." >&2
    export DEBIAN_FRONTEND=noninteractive
    find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | grep -q . || apt-get update -qq >&2
    # CI runs this beside its other installs: wait for their apt-get rather than fail on its lock.
    apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends openjdk-17-jdk-headless maven >&2
  else
    echo "ensure-temporal-test-server: needs java (11+) and mvn on PATH." >&2
    exit 1
  fi
fi

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then kill -9 "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "ensure-temporal-test-server: fetching io.temporal:temporal-test-server:$VERSION from Maven Central (about 40 MB, once)..." >&2
cat >"$tmp/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>warden</groupId>
  <artifactId>temporal-test-server-fetch</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>$VERSION</version>
    </dependency>
    <!-- Its slf4j 1.7 API warns on every start without a binding: bind it to nothing. -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
EOF
mkdir -p "$tmp/out/lib"
# Maven prints colour resets even in batch mode; only its errors are worth reading.
mvn -B -q -f "$tmp/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/out/lib" 2>&1 | sed "s/\x1b\[[0-9;]*m//g" >&2

# Class data sharing checks the archive against the exact class path, so it is spelled out
# (sorted, absolute, final location) rather than left to a wildcard.
classpath=$(cd "$tmp/out/lib" && ls ./*.jar | sed "s|^\./|$CACHE/lib/|" | sort | paste -sd:)
JAVA_OPTS='-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k'
cat >"$tmp/out/temporal-test-server" <<EOF
#!/bin/sh
# Temporal's time-skipping test server $VERSION (written by scripts/ensure-temporal-test-server.sh).
# A stale or missing archive only costs start time: -Xshare:auto runs without it.
exec java $JAVA_OPTS -Xshare:auto -XX:SharedArchiveFile="$CACHE/server.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off \\
  -cp "$classpath" io.temporal.testserver.TestServer "\$@"
EOF
chmod 755 "$tmp/out/temporal-test-server"

# Move into place first: the archive is made against the final class path.
rm -rf "$CACHE"
mkdir -p "$(dirname "$CACHE")"
mv "$tmp/out" "$CACHE"

# Record what a start loads: run the server until it listens, then stop it; the JVM writes the
# archive as it exits. Best effort: without the archive the launcher still works, only slower.
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
# shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
java $JAVA_OPTS -XX:ArchiveClassesAtExit="$CACHE/server.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off -cp "$classpath" io.temporal.testserver.TestServer "$port" >"$tmp/dump.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
kill -TERM "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
server_pid=
if [[ -s $CACHE/server.jsa ]]; then
  echo "ensure-temporal-test-server: class data sharing archive written ($(du -h "$CACHE/server.jsa" | cut -f1))" >&2
else
  echo "ensure-temporal-test-server: no class data sharing archive (the server starts without it):" >&2
  tail -n 5 "$tmp/dump.log" >&2 || true
fi
touch "$CACHE/.complete"
echo "$LAUNCHER"
