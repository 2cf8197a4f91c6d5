package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"path"
	"sort"
	"strings"
)

// The folders of a bundle.
const (
	dirSchema         = "schema"
	dirInfrastructure = "infrastructure"
	dirInstance       = "instance_infrastructure"
	dirPipeline       = "pipeline_infrastructure"
	manifestName      = "manifest.yaml"
)

// maxPathBytes bounds a path inside a bundle.
const maxPathBytes = 1024

// ReadOptions says what kind of bundle Read expects.
type ReadOptions struct {
	Kind Kind
	// CustomerManaged is set for an environment template with provisioning
	// CUSTOMER_MANAGED: its bundle holds only schema/.
	CustomerManaged bool
	// NoPipeline is set for a service template with pipelineProvisioning
	// CUSTOMER_MANAGED: pipeline_infrastructure/ is not allowed and the
	// schema declares no pipeline_input_type.
	NoPipeline bool
}

// File is a regular file of a bundle.
type File struct {
	Path string
	Data []byte
}

// Bundle is a checked template bundle.
type Bundle struct {
	// SchemaText is schema/schema.yaml exactly as uploaded.
	SchemaText string
	Schema     *Schema
	// Files holds every regular file in bundle order, paths cleaned and a
	// single folder wrapping the whole bundle removed.
	Files []File
	// Infrastructure is the manifest of infrastructure/ (environment) or
	// instance_infrastructure/ (service); nil only for customer-managed
	// environment templates.
	Infrastructure *Manifest
	// Pipeline is the manifest of pipeline_infrastructure/, nil when absent.
	Pipeline *Manifest
}

// File returns the file at path p, or nil.
func (b *Bundle) File(p string) *File {
	for i := range b.Files {
		if b.Files[i].Path == p {
			return &b.Files[i]
		}
	}
	return nil
}

// Read checks and parses a gzipped tar bundle. Every fault of the bundle is a
// *Problem. Read never panics and is bounded in memory and time whatever the
// input: at most MaxUncompressedBytes are decompressed and the data of at
// most maxKeptFiles files of bounded size is kept.
func Read(data []byte, o ReadOptions) (*Bundle, error) {
	if len(data) > MaxBundleBytes {
		return nil, problemf("bundle is %d bytes; at most %d bytes (5 MB) are allowed", len(data), MaxBundleBytes)
	}
	files, err := readArchive(data)
	if err != nil {
		return nil, err
	}
	files = stripWrapper(files)
	if err := checkFileCounts(files); err != nil {
		return nil, err
	}
	if err := checkPaths(files); err != nil {
		return nil, err
	}
	return assemble(files, o)
}

// maxKeptFiles is the most files whose data readArchive keeps: MaxFiles in
// each of a bundle's four folders and MaxFiles outside them. A bundle with
// more breaks the quota of one of them (checkFileCounts), so its other
// files are counted by path only.
const maxKeptFiles = MaxFiles * (len(bundleFolders) + 1)

// bundleFolders are the folders of a bundle, in the order messages name
// them.
var bundleFolders = [...]string{dirSchema, dirInfrastructure, dirInstance, dirPipeline}

// checkFileCounts applies the file quota to each folder of the bundle, and
// to the files outside them together: AWS's own Terraform samples hold 11
// to 13 files in one bundle, so the quota that AWS documents "per bundle"
// cannot have counted the whole bundle.
func checkFileCounts(files []File) error {
	counts := map[string]int{}
	for _, f := range files {
		top, _, _ := strings.Cut(f.Path, "/")
		if !knownTop[top] || top == f.Path {
			top = ""
		}
		counts[top]++
	}
	for _, dir := range bundleFolders {
		if n := counts[dir]; n > MaxFiles {
			return problemf("%s/ holds %d files; at most %d are allowed in each folder of a bundle", dir, n, MaxFiles)
		}
	}
	if n := counts[""]; n > MaxFiles {
		return problemf("the bundle holds %d files outside %s/, %s/, %s/ and %s/; at most %d are allowed", n,
			dirSchema, dirInfrastructure, dirInstance, dirPipeline, MaxFiles)
	}
	return nil
}

// errTooBig marks the decompressed stream passing MaxUncompressedBytes.
var errTooBig = errors.New("decompressed bundle too large")

// boundedReader fails with errTooBig once more than left bytes are read.
type boundedReader struct {
	r    io.Reader
	left int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errTooBig
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// tarMagicAt is where a ustar, PAX or GNU tar header carries its magic
// ("ustar"); tarHeaderBytes is the size of a header block.
const (
	tarMagicAt     = 257
	tarHeaderBytes = 512
)

// headReader keeps the first header block of the decompressed stream and
// notes whether that stream ended cleanly (gzip checked its checksum), so
// that an archive that ends early can be told apart from content that is no
// tar at all.
type headReader struct {
	r     io.Reader
	head  []byte
	ended bool
}

func (h *headReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if room := tarHeaderBytes - len(h.head); room > 0 {
		h.head = append(h.head, p[:min(n, room)]...)
	}
	if errors.Is(err, io.EOF) {
		h.ended = true
	}
	return n, err
}

// notTar reports whether a stream that ended before its first entry was
// complete holds something other than a tar archive: its gzip data is whole
// and its first bytes carry no tar header magic. A tar cut short keeps its
// magic (or ends inside the gzip stream, which gzip reports as unexpected).
func (h *headReader) notTar() bool {
	return h.ended && (len(h.head) < tarMagicAt+len("ustar") || !bytes.HasPrefix(h.head[tarMagicAt:], []byte("ustar")))
}

// readArchive decompresses and untars data, checking every entry.
func readArchive(data []byte) ([]File, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, problemf("bundle is not gzip-compressed; a template bundle is a .tar.gz file")
	}
	hr := &headReader{r: zr}
	br := &boundedReader{r: hr, left: MaxUncompressedBytes}
	tr := tar.NewReader(br)
	var files []File
	count := 0
	for entries := 0; ; entries++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if entries == 0 && errors.Is(err, io.ErrUnexpectedEOF) && hr.notTar() {
			return nil, problemf("bundle is not a tar archive (a template bundle is a gzipped tar file): its %d bytes of content are not a tar header", len(hr.head))
		}
		if err != nil {
			return nil, archiveFault(err, entries)
		}
		name, err := cleanEntryPath(hdr.Name)
		if err != nil {
			return nil, err
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
		case tar.TypeDir, tar.TypeXGlobalHeader:
			// Folders are implied by file paths; a global header (git
			// archive writes one) carries no file.
			continue
		case tar.TypeSymlink:
			return nil, problemf("%s: symbolic links are not allowed in a bundle", hdr.Name)
		case tar.TypeLink:
			return nil, problemf("%s: hard links are not allowed in a bundle", hdr.Name)
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			return nil, problemf("%s: devices and pipes are not allowed in a bundle", hdr.Name)
		default:
			return nil, problemf("%s: tar entry type %q is not supported; a bundle holds regular files and folders", hdr.Name, string(hdr.Typeflag))
		}
		if name == "" {
			return nil, problemf("%q: a file needs a name", hdr.Name)
		}
		if isMacMetadata(name) {
			continue
		}
		count++
		if hdr.Size > MaxFileBytes {
			return nil, problemf("%s: file is %d bytes; at most %d bytes (200 KB) are allowed", name, hdr.Size, MaxFileBytes)
		}
		if count > maxKeptFiles {
			// Keep the path only, to count the files of its folder.
			files = append(files, File{Path: name})
			continue
		}
		body, err := io.ReadAll(io.LimitReader(tr, MaxFileBytes+1))
		if err != nil {
			return nil, archiveFault(err, entries+1)
		}
		if len(body) > MaxFileBytes {
			return nil, problemf("%s: file is larger than %d bytes (200 KB)", name, MaxFileBytes)
		}
		files = append(files, File{Path: name, Data: body})
	}
	// Read what follows the end of the archive (tar pads it) so that gzip
	// checks its checksum: a damaged bundle must not pass for a good one.
	if _, err := io.Copy(io.Discard, br); err != nil {
		return nil, archiveFault(err, 1)
	}
	return files, nil
}

func archiveFault(err error, entries int) *Problem {
	switch {
	case errors.Is(err, errTooBig):
		return problemf("bundle is larger than %d bytes once decompressed; at most %d bytes are allowed", MaxUncompressedBytes, MaxUncompressedBytes)
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		return problemf("bundle's gzip data is damaged: %v", err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return problemf("bundle is truncated: its data ends unexpectedly")
	case entries == 0:
		return problemf("bundle is not a tar archive (a template bundle is a gzipped tar file): %v", err)
	}
	return problemf("bundle is a damaged tar archive: %v", err)
}

// cleanEntryPath turns a tar entry name into a clean relative path, refusing
// names that could point outside the bundle once extracted.
func cleanEntryPath(name string) (string, error) {
	switch {
	case len(name) > maxPathBytes:
		return "", problemf("a path in the bundle is longer than %d bytes", maxPathBytes)
	case strings.ContainsRune(name, 0):
		return "", problemf("%q: paths must not contain NUL characters", name)
	case strings.Contains(name, `\`):
		return "", problemf("%s: paths must use / as separator, not \\", name)
	case strings.HasPrefix(name, "/"):
		return "", problemf("%s: absolute paths are not allowed in a bundle", name)
	}
	var parts []string
	for _, p := range strings.Split(name, "/") {
		switch p {
		case "", ".":
			continue
		case "..":
			return "", problemf("%s: paths with .. are not allowed in a bundle", name)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "/"), nil
}

// isMacMetadata reports files macOS's tar adds beside real ones (AppleDouble
// "._name" files and .DS_Store); they are skipped, not counted.
func isMacMetadata(p string) bool {
	base := path.Base(p)
	return strings.HasPrefix(base, "._") || base == ".DS_Store"
}

// knownTop lists the folders a bundle has at its root.
var knownTop = map[string]bool{dirSchema: true, dirInfrastructure: true, dirInstance: true, dirPipeline: true}

// stripWrapper removes a single folder that wraps every file, as
// `tar czf b.tgz mytemplate/` makes, unless that folder is one of a bundle's
// own (a customer-managed bundle holds only schema/).
func stripWrapper(files []File) []File {
	if len(files) == 0 {
		return files
	}
	first, _, _ := strings.Cut(files[0].Path, "/")
	if knownTop[first] {
		return files
	}
	for _, f := range files {
		top, rest, ok := strings.Cut(f.Path, "/")
		if !ok || top != first || rest == "" {
			return files
		}
	}
	out := make([]File, len(files))
	for i, f := range files {
		_, rest, _ := strings.Cut(f.Path, "/")
		out[i] = File{Path: rest, Data: f.Data}
	}
	return out
}

// checkPaths refuses a path given twice and a path that is both a file and
// a folder.
func checkPaths(files []File) error {
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f.Path] {
			return problemf("%s: the file appears twice in the bundle", f.Path)
		}
		seen[f.Path] = true
	}
	for _, f := range files {
		for d := path.Dir(f.Path); d != "."; d = path.Dir(d) {
			if seen[d] {
				return problemf("%s: is both a file and a folder in the bundle", d)
			}
		}
	}
	return nil
}

// topLevel lists the names at the root of the bundle, for messages.
func topLevel(files []File) string {
	set := map[string]bool{}
	for _, f := range files {
		top, _, isDir := strings.Cut(f.Path, "/")
		if isDir {
			top += "/"
		}
		set[top] = true
	}
	names := sortedKeys(set)
	if len(names) == 0 {
		return "the bundle is empty"
	}
	return "found: " + strings.Join(names, ", ")
}

func fileSizeFault(p string, size, limit int) *Problem {
	return problemf("%s: file is %d bytes; at most %d bytes (%d KB) are allowed", p, size, limit, limit>>10)
}

// inFolder lists the files under folder dir.
func inFolder(files []File, dir string) []File {
	var out []File
	for _, f := range files {
		if strings.HasPrefix(f.Path, dir+"/") {
			out = append(out, f)
		}
	}
	return out
}

func sortedPaths(files []File) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Path
	}
	sort.Strings(out)
	return out
}
