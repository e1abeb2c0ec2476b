package httpkit_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/hexcover/hexcover/"

// httpPackages may import net/http in any file: the server is the HTTP
// face, httpkit the kit, loadtest an HTTP client.
var httpPackages = map[string]bool{"internal/server": true, "internal/httpkit": true, "internal/loadtest": true}

// TestImportRules enforces the import rules of docs/ARCHITECTURE.md on the
// product's (non-test) files:
//   - no package under internal/ but server imports internal/server;
//   - outside httpPackages only files named http.go import net/http, so
//     the HTTP face of a feature package is one file and its analysis
//     returns errs kinds, not statuses; geo/ imports no net/http at all;
//   - errs imports nothing of hexcover and no net/http; httpkit imports
//     only the standard library, errs and model.
func TestImportRules(t *testing.T) {
	checked := 0
	for _, root := range []string{"../../internal", "../../geo"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel("../..", path)
			rel = filepath.ToSlash(rel)
			pkg := filepath.ToSlash(filepath.Dir(rel))
			base := filepath.Base(rel)
			checked++
			for _, is := range f.Imports {
				imp, _ := strconv.Unquote(is.Path.Value)
				switch {
				case imp == module+"internal/server" && pkg != "internal/server":
					t.Errorf("%s imports internal/server: use internal/httpkit and internal/errs", rel)
				case imp == "net/http" && strings.HasPrefix(pkg, "geo"):
					t.Errorf("%s: geo/ is pure and imports no net/http", rel)
				case imp == "net/http" && !httpPackages[pkg] && base != "http.go":
					t.Errorf("%s imports net/http: only a package's http.go may (return errs kinds elsewhere)", rel)
				}
				switch pkg {
				case "internal/errs":
					if strings.HasPrefix(imp, module) || strings.HasPrefix(imp, "net/") {
						t.Errorf("%s imports %s: errs is a leaf without HTTP", rel, imp)
					}
				case "internal/httpkit":
					if strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") &&
						imp != module+"internal/errs" && imp != module+"internal/model" {
						t.Errorf("%s imports %s: httpkit is a leaf (std lib, errs, model)", rel, imp)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 50 {
		t.Fatalf("checked only %d files: wrong root?", checked)
	}
}
