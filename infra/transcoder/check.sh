#!/usr/bin/env bash
# Exercises the transcoder image's build steps where no container engine can run (CI has none,
# and base images come from a registry this workplace does not reach):
# - the Dockerfile fetches nothing but Debian's signed packages and pinned base images;
# - the lock file is current (the image builds with `cargo build --locked`);
# - Debian's FFmpeg (the package the image installs) has what the transcoder uses: libx264, AAC,
#   the HLS muxer, and the scale/pad filters;
# - the image's size, estimated: the slim base + ffmpeg's dependency closure + the bootstrap.
# The entrypoint itself (the binary as its own Lambda runtime) is exercised by
# functions/transcoder/tests/bootstrap.rs against a stand-in of the Runtime API.
set -euo pipefail
cd "$(dirname "$0")/../.."
df=infra/transcoder/Dockerfile
fail() { echo "transcoder image: $*" >&2; exit 1; }

runs=$(awk '/^RUN/,/[^\\]$/' "$df")
if grep -qiE 'curl|wget|https?://[^ ]*\.(tar|xz|gz|zip)' <<<"$runs"; then
  fail "a RUN step downloads something other than Debian packages"
fi
grep -E '^FROM ' "$df" | grep -vqE ':(latest)?( |$)' || true
while read -r _ image _; do
  [[ "$image" == *:* && "$image" != *:latest* ]] || fail "base image $image is not pinned by tag"
done < <(grep -E '^FROM ' "$df")
grep -q 'apt-get install -y --no-install-recommends ffmpeg' "$df" || fail "FFmpeg does not come from Debian's archive"
grep -q '^ENTRYPOINT \["/usr/local/bin/bootstrap"\]' "$df" || fail "the bootstrap is not the entrypoint"

cargo metadata --quiet --locked --format-version 1 >/dev/null || fail "Cargo.lock is not current: the image's --locked build would fail"

enc=$(ffmpeg -hide_banner -encoders 2>/dev/null)
mux=$(ffmpeg -hide_banner -muxers 2>/dev/null)
fil=$(ffmpeg -hide_banner -filters 2>/dev/null)
for want in libx264 aac; do grep -qw "$want" <<<"$enc" || fail "Debian's ffmpeg lacks the $want encoder"; done
grep -qw hls <<<"$mux" || fail "Debian's ffmpeg lacks the HLS muxer"
for want in scale pad; do grep -qw "$want" <<<"$fil" || fail "Debian's ffmpeg lacks the $want filter"; done

# Installed-Size (KiB) of ffmpeg and everything it depends on, without recommends.
kib=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances ffmpeg 2>/dev/null | grep -E '^[a-z0-9]' | sort -u \
      | { xargs -r dpkg-query -W -f '${Installed-Size}\n' 2>/dev/null || true; } | awk '{s+=$1} END {print s+0}')
echo "transcoder image: build steps check out; $(ffmpeg -hide_banner -version | head -1 | cut -d' ' -f1-3)," \
     "FFmpeg with its libraries ≈ $((kib / 1024)) MiB, on debian:bookworm-slim (≈ 75 MiB) + the bootstrap"
