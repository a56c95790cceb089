// Command mkimage packs static binaries into a one-layer container image, written as a
// docker-archive tarball that `ctr -n k8s.io images import` loads. No registry is reachable
// from the lab, so the etcd image kubeadm's manifest names and the pod sandbox (pause) image
// are made here from binaries built by scripts/build-k8s-tools.sh.
//
//	mkimage -name quorum.local/etcd:3.6.4-0 -out etcd.tar [-cmd /pause] SRC=DEST ...
//
// The output is byte-for-byte reproducible (fixed times, owners and order), so a rebuild of the
// same binaries gives the same image ID and an import changes nothing.
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

// epoch is every file's time in the image: the archive depends only on the binaries.
var epoch = time.Unix(0, 0).UTC()

func main() {
	name := flag.String("name", "", "image reference, e.g. quorum.local/etcd:3.6.4-0")
	out := flag.String("out", "", "docker-archive tarball to write")
	cmd := flag.String("cmd", "", "the image's command (space-separated); empty: none (the pod names it)")
	flag.Parse()
	if *name == "" || *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: mkimage -name REF -out FILE.tar [-cmd CMD] SRC=/DEST ...")
		os.Exit(2)
	}
	layer, err := buildLayer(flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
	if err := writeArchive(*out, *name, *cmd, layer); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

// buildLayer returns an uncompressed layer tar holding each SRC at DEST (mode 0755, root-owned),
// with the parent directories a runtime needs to create.
func buildLayer(pairs []string) ([]byte, error) {
	files := map[string]string{}
	dirs := map[string]bool{"tmp/": true}
	for _, p := range pairs {
		src, dest, ok := strings.Cut(p, "=")
		if !ok || !strings.HasPrefix(dest, "/") {
			return nil, fmt.Errorf("%q: want SRC=/DEST", p)
		}
		dest = strings.TrimPrefix(path.Clean(dest), "/")
		files[dest] = src
		for d := path.Dir(dest); d != "."; d = path.Dir(d) {
			dirs[d+"/"] = true
		}
	}
	var names []string
	for d := range dirs {
		names = append(names, d)
	}
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		hdr := &tar.Header{Name: n, ModTime: epoch, Format: tar.FormatPAX, Uname: "root", Gname: "root"}
		if dirs[n] {
			hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
			if n == "tmp/" {
				hdr.Mode = 0o1777
			}
			if err := tw.WriteHeader(hdr); err != nil {
				return nil, err
			}
			continue
		}
		data, err := os.ReadFile(files[n])
		if err != nil {
			return nil, err
		}
		hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, 0o755, int64(len(data))
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// writeArchive writes the docker-archive layout: manifest.json, the image config and the layer.
func writeArchive(out, name, cmd string, layer []byte) error {
	layerID := digest(layer)
	containerConfig := map[string]any{"Env": []string{"PATH=/usr/local/bin:/usr/bin:/bin"}}
	if cmd != "" {
		containerConfig["Entrypoint"] = strings.Fields(cmd)
	}
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      epoch.Format(time.RFC3339),
		"config":       containerConfig,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + layerID}},
		"history":      []map[string]any{{"created": epoch.Format(time.RFC3339), "created_by": "quorum tools/k8s/mkimage"}},
	})
	if err != nil {
		return err
	}
	configName := digest(config) + ".json"
	layerName := layerID + "/layer.tar"
	manifest, err := json.Marshal([]map[string]any{{"Config": configName, "RepoTags": []string{name}, "Layers": []string{layerName}}})
	if err != nil {
		return err
	}
	f, err := os.Create(out + ".tmp")
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	entries := []struct {
		name string
		data []byte
	}{{layerID + "/", nil}, {layerName, layer}, {configName, config}, {"manifest.json", manifest}}
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, ModTime: epoch, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if strings.HasSuffix(e.name, "/") {
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeDir, 0o755, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			f.Close()
			return err
		}
		if _, err := tw.Write(e.data); err != nil {
			f.Close()
			return err
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(out+".tmp", out)
}
