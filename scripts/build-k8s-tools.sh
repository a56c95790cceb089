#!/usr/bin/env bash
# Build the Kubernetes node tools the static-pod runtime needs, from the Go module proxy:
# kubeadm and kubelet (k8s.io/kubernetes), etcd and etcdctl (go.etcd.io, the etcd that kubeadm
# of the pinned release expects) and a static pause program for the pod sandbox image.
#
# Every version is pinned in tools/k8s/go.mod (and its go.sum), and nowhere else: this script
# reads them from there. k8s.io/kubernetes cannot be `go install`ed at a version (its go.mod
# points the k8s.io staging modules at local directories), so tools/k8s/go.mod requires it and
# replaces every staging module with v0.Y.Z of the same release.
#
# Output, in $QUORUM_K8S_TOOLS_CACHE/<kubernetes version>/ (default cache /var/cache/quorum/k8s-tools):
#   bin/{kubeadm,kubelet,etcd,etcdctl,pause,mkimage}
#   images/{etcd,pause}.tar   docker archives for `ctr images import` (no registry is reachable),
#                             named as `kubeadm config images list` names them in repository
#                             quorum.local (kubeadm's imageRepository)
#   node-tools.json           versions and image names, read by `quorum lab up --node-tools DIR`
# with the module and build caches beside it, so a second run is quick; a run whose outputs match
# the pins (stamp file + the binaries' own version output) builds nothing. Prints the directory
# on its last line.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
module="$repo/tools/k8s"
cache="${QUORUM_K8S_TOOLS_CACHE:-/var/cache/quorum/k8s-tools}"

command -v go >/dev/null || { echo "build-k8s-tools: go is not installed (Go 1.24 or newer is needed)" >&2; exit 1; }

export GOMODCACHE="$cache/gomod" GOCACHE="$cache/gocache" GOFLAGS=-mod=readonly
export CGO_ENABLED=0 GOOS=linux GOTOOLCHAIN=local
mkdir -p "$GOMODCACHE" "$GOCACHE"

version_of() { (cd "$module" && go list -m -f '{{.Version}}' "$1"); }
kube_version="$(version_of k8s.io/kubernetes)"
etcd_version="$(version_of go.etcd.io/etcd/server/v3)"
out="$cache/$kube_version"
image_repository=quorum.local
# What the binaries were built from: the pins (go.mod, go.sum), the pause source and Go itself.
stamp_text="$(cd "$module" && cat go.mod go.sum pause/main.go mkimage/main.go "$repo/scripts/build-k8s-tools.sh" | sha256sum | cut -d' ' -f1) $(go env GOVERSION)"

if [[ -f "$out/.stamp" && "$(cat "$out/.stamp")" == "$stamp_text" ]] \
  && [[ "$("$out/bin/kubeadm" version -o short 2>/dev/null)" == "$kube_version" ]] \
  && [[ "$("$out/bin/kubelet" --version 2>/dev/null)" == "Kubernetes $kube_version" ]] \
  && "$out/bin/etcd" --version 2>/dev/null | grep -qx "etcd Version: ${etcd_version#v}" \
  && [[ -x "$out/bin/etcdctl" && -x "$out/bin/pause" && -f "$out/images/etcd.tar" && -f "$out/images/pause.tar" && -f "$out/node-tools.json" ]]; then
  echo "build-k8s-tools: kubeadm/kubelet $kube_version, etcd $etcd_version already built (cached)" >&2
  echo "$out"
  exit 0
fi

# The release's date as the module proxy records it, for the version variables kubeadm and kubelet
# report (k8s' hack/lib/version.sh sets the same ones). The proxy does not record the commit:
# gitCommit stays empty, as in any build outside k8s' git tree; kubeadm reads gitVersion.
info_file="$(cd "$module" && go mod download -json "k8s.io/kubernetes@$kube_version" | sed -n 's/.*"Info": *"\([^"]*\)".*/\1/p')"
build_date="$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$info_file")"
[[ -n "$build_date" ]] || { echo "build-k8s-tools: no release time in $info_file" >&2; exit 1; }
major="${kube_version#v}"; major="${major%%.*}"
minor="${kube_version#v*.}"; minor="${minor%%.*}"
version_flags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_flags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  version_flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

echo "build-k8s-tools: building kubeadm and kubelet $kube_version, etcd $etcd_version into $out" >&2
start=$(date +%s)
tmp="$cache/$kube_version.tmp"
rm -rf "$tmp" && mkdir -p "$tmp/bin" "$tmp/images"
build() { # build OUTPUT PACKAGE [extra ldflags]
  (cd "$module" && go build -trimpath -ldflags "-s -w ${3:-}" -o "$tmp/bin/$1" "$2")
}
build kubeadm k8s.io/kubernetes/cmd/kubeadm "$version_flags"
build kubelet k8s.io/kubernetes/cmd/kubelet "$version_flags"
build etcd go.etcd.io/etcd/server/v3
build etcdctl go.etcd.io/etcd/etcdctl/v3
build pause ./pause
build mkimage ./mkimage

# The images' names are kubeadm's own for this release (so the etcd tag is the etcd release
# kubeadm expects), in repository quorum.local: kubeadm's config sets imageRepository to it.
images="$("$tmp/bin/kubeadm" config images list --kubernetes-version "$kube_version" --image-repository "$image_repository")"
etcd_image="$(grep "^$image_repository/etcd:" <<<"$images")"
pause_image="$(grep "^$image_repository/pause:" <<<"$images")"
etcd_tag="${etcd_image##*:}"
if [[ "${etcd_tag%-*}" != "${etcd_version#v}" ]]; then
  echo "build-k8s-tools: kubeadm $kube_version runs etcd ${etcd_tag%-*} but tools/k8s/go.mod pins etcd $etcd_version: pin go.etcd.io/etcd/{server,etcdctl}/v3 v${etcd_tag%-*}" >&2
  exit 1
fi
"$tmp/bin/mkimage" -name "$etcd_image" -out "$tmp/images/etcd.tar" \
  "$tmp/bin/etcd=/usr/local/bin/etcd" "$tmp/bin/etcdctl=/usr/local/bin/etcdctl"
"$tmp/bin/mkimage" -name "$pause_image" -out "$tmp/images/pause.tar" -cmd /pause "$tmp/bin/pause=/pause"
cat >"$tmp/node-tools.json" <<JSON
{
  "kubernetesVersion": "$kube_version",
  "etcdVersion": "$etcd_version",
  "etcdImageRepository": "$image_repository",
  "etcdImageTag": "$etcd_tag",
  "pauseImage": "$pause_image"
}
JSON
echo "$stamp_text" > "$tmp/.stamp"
rm -rf "$out" && mv "$tmp" "$out"
echo "build-k8s-tools: built in $(( $(date +%s) - start ))s" >&2
echo "$out"
