#!/usr/bin/env bash
# Provides the Alcor control plane Merak's `alcor` provider runs against: the eleven Alcor
# services it needs (vpc, subnet, route, private-ip, mac, port, node, security-group, gateway,
# data-plane and network-configuration managers), built from Alcor's source archive (futurewei-cloud/alcor, commit
# 21f11b5, MIT), and the Ignite server they store their state in (tools/alcor-ignite, pinned to
# Ignite 2.10.0 like Alcor's lib/pom.xml).
#
# Prints the absolute path of the build folder on stdout; progress goes to stderr. The build is
# cached per machine, not per checkout (CI runs on a fresh clone whose .tools is empty), in
#   ${MERAK_CACHE_DIR:-$HOME/.cache/merak}/alcor/<source sha256, 16>-<recipe sha256, 8>-<ignite sha256, 8>/
#     services/<service>.jar      Spring Boot jars, e.g. services/vpc_manager.jar
#     ignite/common.jar           Alcor's lib jar, which the Ignite server needs (MerakIgniteServer.java)
#     ignite/lib/*.jar            the Ignite server's classpath (tools/alcor-ignite + dependencies)
#     BUILD-INFO                  what was built from what, and which fixes were applied
# The key is everything the bytes depend on: the archive, the build recipe below (fixes, flags,
# service list) and the Ignite server's sources (tools/alcor-ignite). A change of any of them
# builds into a new folder (a control plane running from the old one keeps its jars); an
# unchanged build is reused at once. A folder is complete once BUILD-INFO exists: a build is
# staged and moved into place whole.
#
# The archive: $MERAK_ALCOR_SRC, else alcor-21f11b5-src.tar.xz in ../shared/vendor/alcor/ next to
# this checkout, next to its main worktree, or next to the repository it was cloned from.
#
# Alcor at 21f11b5 does not build on JDK 17 as it is; three build fixes, applied to an extracted
# copy (never to Alcor's Java code), measured in ../shared/providers/alcor/README.md:
#   1. Lombok 1.18.0 (pinned in five poms) and Spring Boot's 1.18.8 cannot run inside JDK 17's
#      javac: the pins become 1.18.30 and the build passes -Dlombok.version=1.18.30.
#   2. Test-scope dependencies on swagger2markup (swagger2markup-spring-restdocs-ext in twelve
#      service poms, swagger2markup itself in the network configuration manager's) pull
#      artifacts that only ever existed on jcenter, which is gone; Maven resolves test
#      dependencies even when tests are skipped, so those thirteen blocks are removed and the
#      build skips test compilation (-Dmaven.test.skip=true).
#   3. Every service pom lists jcenter first; a settings file mirrors every repository to Maven
#      Central, so no request waits on the dead host.
# (The API gateway, which also needs a newer Groovy on JDK 17, is not built: Merak calls the
# services directly, and the gateway does not route /nodes.)
#
# Maven's local repository is Maven's default (~/.m2/repository) or $MERAK_MAVEN_REPO, so a
# machine that built once reuses it: a first build downloads about 440 MB from Maven Central; a
# build with a warm repository takes about 1.5 minutes on two cores. Needs JDK 17 (javac) and
# Maven 3.8+ (Debian: openjdk-17-jdk-headless, maven).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
archive_name="alcor-21f11b5-src.tar.xz"
alcor_commit="21f11b5"
lombok_version="1.18.30"
# Where each service's Spring Boot jar is found in the source tree, by the name Merak uses.
services=(vpc_manager subnet_manager route_manager private_ip_manager mac_manager port_manager
  node_manager security_group_manager gateway_manager data_plane_manager network_config_manager)

log() { printf 'provide-alcor.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# ------------------------------------------------------------------------------ the archive
find_archive() {
  if [ -n "${MERAK_ALCOR_SRC:-}" ]; then
    [ -f "$MERAK_ALCOR_SRC" ] || die "MERAK_ALCOR_SRC=$MERAK_ALCOR_SRC is not a file; point it at $archive_name or unset it"
    (cd "$(dirname "$MERAK_ALCOR_SRC")" && printf '%s/%s\n' "$(pwd)" "$(basename "$MERAK_ALCOR_SRC")")
    return
  fi
  local tried=() dir
  # A checkout next to shared/ (the project's layout), a git worktree whose main checkout is,
  # or a clone (CI clones into /tmp) of such a repository.
  local roots=("$repo_root")
  local common
  if common="$(git -C "$repo_root" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)"; then
    roots+=("$(dirname "$common")")
  fi
  local origin
  if origin="$(git -C "$repo_root" config --get remote.origin.url 2>/dev/null)"; then
    origin="${origin#file://}"
    if [ -d "$origin" ]; then
      roots+=("$(cd "$origin" && pwd)")
      if common="$(git -C "$origin" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)"; then
        roots+=("$(dirname "$common")")
      fi
    fi
  fi
  for dir in "${roots[@]}"; do
    local candidate
    candidate="$(dirname "$dir")/shared/vendor/alcor/$archive_name"
    tried+=("$candidate")
    if [ -f "$candidate" ]; then
      (cd "$(dirname "$candidate")" && printf '%s/%s\n' "$(pwd)" "$archive_name")
      return
    fi
  done
  log "Alcor's source archive $archive_name was not found. Looked at:"
  printf '  %s\n' "${tried[@]}" >&2
  log "Set MERAK_ALCOR_SRC to its path (it is git archive $alcor_commit of github.com/futurewei-cloud/alcor)."
  exit 1
}

# The build recipe: what decides the services' bytes besides the source. Changing any of it
# (a fix, a flag, the service list) builds the services again.
lombok_fix='s{(<artifactId>lombok</artifactId>\s*<version>)1\.18\.0(</version>)}{${1}'"$lombok_version"'${2}}g'
swagger_fix='s{\s*<dependency>\s*<groupId>io\.github\.swagger2markup</groupId>\s*<artifactId>swagger2markup[a-z-]*</artifactId>\s*<version>[^<]*</version>\s*<scope>test</scope>\s*</dependency>}{}gs'
mvn_flags=(-Dlombok.version="$lombok_version" -Dmaven.test.skip=true)
recipe="$lombok_fix|$swagger_fix|${mvn_flags[*]}|${services[*]}|central-mirror"

archive="$(find_archive)"
source_hash="$(sha256sum "$archive" | cut -c1-16)"
recipe_hash="$(printf '%s' "$recipe" | sha256sum | cut -c1-8)"
ignite_hash="$( (cd "$repo_root/tools/alcor-ignite" && find . -type f -not -path './target/*' | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-8)"
key="$source_hash-$recipe_hash-$ignite_hash"
cache_root="${MERAK_CACHE_DIR:-$HOME/.cache/merak}/alcor"
out="$cache_root/$key"

complete() { [ -f "$out/BUILD-INFO" ]; }
if complete; then
  printf '%s\n' "$out"
  exit 0
fi

command -v java >/dev/null 2>&1 || die "java (JDK 17) is needed to build Alcor; Debian: apt-get install openjdk-17-jdk-headless"
command -v javac >/dev/null 2>&1 || die "javac (JDK 17) is needed to build Alcor; Debian: apt-get install openjdk-17-jdk-headless"
command -v mvn >/dev/null 2>&1 || die "Maven is needed to build Alcor; Debian: apt-get install maven"
java_major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')"
[ "$java_major" = "17" ] || log "warning: java is version ${java_major:-unknown}; the build fixes were measured with JDK 17"

mkdir -p "$cache_root"
# Two builds at once (two checkouts, two CI runs) would race for the same folder; the second
# waits, then finds the result.
exec 9>"$cache_root/.build.lock"
if ! flock -n 9; then
  log "another build of Alcor is running; waiting for it (up to 40 minutes)"
  flock -w 2400 9 || die "gave up waiting for the other build"
fi
if complete; then
  printf '%s\n' "$out"
  exit 0
fi

build="$cache_root/.build-$key"
rm -rf "$build"
mkdir -p "$build"
start=$SECONDS
cat > "$build/settings.xml" <<'XML'
<settings>
  <mirrors>
    <!-- Fix 3: jcenter is gone; everything Alcor needs is on Maven Central. -->
    <mirror><id>central-only</id><mirrorOf>*</mirrorOf><url>https://repo.maven.apache.org/maven2</url></mirror>
  </mirrors>
</settings>
XML
mvn_args=(-B -s "$build/settings.xml" "${mvn_flags[@]}")
[ -n "${MERAK_MAVEN_REPO:-}" ] && mvn_args+=(-Dmaven.repo.local="$MERAK_MAVEN_REPO")
log "Maven repository: ${MERAK_MAVEN_REPO:-$HOME/.m2/repository} (a first build downloads about 440 MB)"

log "building Alcor $alcor_commit from $archive into $out"
src="$build/src"
mkdir -p "$src"
tar -xJf "$archive" -C "$src"
[ -f "$src/pom.xml" ] && [ -d "$src/services/vpc_manager" ] || die "$archive does not hold Alcor's source tree (no pom.xml, services/vpc_manager)"

# ------------------------------------------------------------------------------ build fixes
# Each fix counts what it changed and fails if that is not what the pinned source needs, so a
# different source tree is refused instead of half-fixed.
fix_count() { # file perl-substitution -> prints the number of substitutions
  perl -0777 -i -pe "\$n += ($2); END { print STDERR \"\$n\\n\" }" "$1" 2>&1 >/dev/null | tail -n1
}
lombok_fixed=0
for pom in pom.xml lib/pom.xml web/pom.xml legacy/pom.xml services/data_plane_manager/pom.xml; do
  n="$(fix_count "$src/$pom" "$lombok_fix")"
  [ "$n" = "1" ] || die "fix 1: expected one Lombok 1.18.0 pin in $pom, found $n"
  lombok_fixed=$((lombok_fixed + n))
done
swagger_fixed=0
for pom in "$src"/services/*/pom.xml; do
  n="$(fix_count "$pom" "$swagger_fix")"
  swagger_fixed=$((swagger_fixed + n))
done
[ "$swagger_fixed" = "13" ] || die "fix 2: expected 13 test-scope swagger2markup dependencies in services/*/pom.xml, removed $swagger_fixed"
log "fixes applied: Lombok pins $lombok_fixed/5 -> $lombok_version, jcenter-only test dependencies removed from $swagger_fixed/13 service poms, Maven Central mirror"


# ------------------------------------------------------------------------------ Alcor
modules="$(printf 'services/%s,' "${services[@]}")"
build_log="$build/maven-alcor.log"
log "mvn package -pl ${modules%,} -am (log: $build_log)"
# -am builds lib, web and schema too; the modules are only packaged, not installed, so a
# resumed build (-rf) could not resolve them: the whole reactor runs every time.
if ! (cd "$src" && mvn "${mvn_args[@]}" -fae package -pl "${modules%,}" -am) >"$build_log" 2>&1; then
  log "the Alcor build failed after $((SECONDS - start)) s; last lines of $build_log:"
  grep -E '^\[(ERROR|INFO)\] (BUILD|Reactor|.*(SUCCESS|FAILURE|SKIPPED))|^\[ERROR\]' "$build_log" | tail -n 40 >&2
  exit 1
fi

# The build is assembled in a staging folder and moved into place whole: a build cut half-way
# never looks complete.
stage="$cache_root/.$key.tmp"
rm -rf "$stage"
mkdir -p "$stage/services" "$stage/ignite"
for svc in "${services[@]}"; do
  jar="$(find "$src/services/$svc/target" -maxdepth 1 -name '*.jar' -not -name '*-sources.jar' | head -n1)"
  [ -n "$jar" ] || die "the build made no jar for services/$svc"
  cp "$jar" "$stage/services/$svc.jar"
done
common_jar="$(find "$src/lib/target" -maxdepth 1 -name 'common-*.jar' | head -n1)"
[ -n "$common_jar" ] || die "the build made no lib/target/common-*.jar"
# A stable copy: a server whose jar is rebuilt under it loses MapPredicate (README, pitfall a).
cp "$common_jar" "$stage/ignite/common.jar"
cp "$src/LICENSE" "$stage/LICENSE-alcor"
log "Alcor services built in $((SECONDS - start)) s"

# ------------------------------------------------------------------------------ Ignite server
cp -R "$repo_root/tools/alcor-ignite" "$build/ignite-src"
rm -rf "$build/ignite-src/target"
ignite_log="$build/maven-ignite.log"
log "building the Ignite server (tools/alcor-ignite; log: $ignite_log)"
if ! (cd "$build/ignite-src" && mvn "${mvn_args[@]}" package dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$build/ignite-src/target/lib") >"$ignite_log" 2>&1; then
  log "the Ignite server build failed; last lines of $ignite_log:"
  tail -n 40 "$ignite_log" >&2
  exit 1
fi
mkdir -p "$stage/ignite/lib"
cp "$build/ignite-src/target/lib/"*.jar "$build/ignite-src/target/alcor-ignite-1.0.0.jar" "$stage/ignite/lib/"
{
  echo "alcor commit:   $alcor_commit"
  echo "archive:        $archive"
  echo "archive sha256: $(sha256sum "$archive" | cut -d' ' -f1)"
  echo "recipe:         $recipe_hash (fixes, Maven flags and services of scripts/provide-alcor.sh)"
  echo "ignite server:  $ignite_hash (tools/alcor-ignite)"
  echo "built:          $(date -u +%Y-%m-%dT%H:%M:%SZ) in $((SECONDS - start)) s"
  echo "java:           $(java -version 2>&1 | head -n1)"
  echo "maven:          $(mvn -B -v 2>/dev/null | head -n1 | sed "s/\x1b\[[0-9;]*m//g")"
  echo "fixes:          lombok $lombok_version ($lombok_fixed pins + -Dlombok.version), test-scope swagger2markup removed from $swagger_fixed poms, Maven Central mirror"
  echo "services:       ${services[*]}"
} > "$stage/BUILD-INFO"
rm -rf "$out"
mv "$stage" "$out"
rm -rf "$build"
log "ready in $((SECONDS - start)) s: $out"
printf '%s\n' "$out"
