#!/usr/bin/env bash
# Build examples/java/pattern-plugin.jar against jnbdkit's jar (target/jnbdkit.jar).
#   examples/java/build.sh && bin/jnbdkit -U - examples/java/pattern-plugin.jar 1M --run 'nbdinfo $uri'
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
home=$(cd "$here/../.." && pwd)
java_home=${JAVA_HOME:-$("$home/bin/find-java")}
jar=$home/target/jnbdkit.jar
if [ ! -f "$jar" ]; then
    (cd "$home" && JAVA_HOME=$java_home mvn -q -B -DskipTests package)
fi
out=$here/build
rm -rf "$out"
mkdir -p "$out/META-INF/services"
"$java_home/bin/javac" --release 25 -cp "$jar" -d "$out" $(find "$here/src" -name '*.java')
cp "$here/META-INF/services/dev.jnbdkit.spi.Plugin" "$out/META-INF/services/"
"$java_home/bin/jar" --create --file "$here/pattern-plugin.jar" -C "$out" .
echo "built $here/pattern-plugin.jar" >&2
