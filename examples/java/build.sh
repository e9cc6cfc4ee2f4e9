#!/usr/bin/env bash
# Build the examples against the SPI alone (spi/target/jnbdkit-spi.jar, the artifact
# dev.jnbdkit:jnbdkit-spi), as a plugin or filter of your own would be:
#   examples/java/pattern-plugin.jar  a plugin (src/example/PatternPlugin.java)
#   examples/java/xor-filter.jar      a filter (filter/src/example/XorFilter.java)
#   examples/java/build.sh && bin/jnbdkit -U - --filter=examples/java/xor-filter.jar \
#       examples/java/pattern-plugin.jar 1M --run 'nbdinfo $uri'
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
home=$(cd "$here/../.." && pwd)
java_home=${JAVA_HOME:-$("$home/bin/find-java")}
spi=$home/spi/target/jnbdkit-spi.jar
if [ ! -f "$spi" ] || [ ! -f "$home/target/jnbdkit.jar" ]; then
    (cd "$home" && JAVA_HOME=$java_home mvn -q -B -DskipTests package)
fi

# build_jar NAME SOURCE_DIR SERVICE_DIR: compile SOURCE_DIR and pack it with its service file.
build_jar() {
    local out=$here/build/$1
    rm -rf "$out"
    mkdir -p "$out/META-INF/services"
    "$java_home/bin/javac" --release 25 -cp "$spi" -d "$out" $(find "$2" -name '*.java')
    cp "$3"/* "$out/META-INF/services/"
    "$java_home/bin/jar" --create --file "$here/$1.jar" -C "$out" .
    echo "built $here/$1.jar" >&2
}
build_jar pattern-plugin "$here/src" "$here/META-INF/services"
build_jar xor-filter "$here/filter/src" "$here/filter/META-INF/services"
