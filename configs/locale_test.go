package configs

import (
	"os"
	"strings"
	"testing"
)

// withLocale writes `locale: lang` at the top of the configuration file.
func withLocale(t *testing.T, file, lang string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), "version: 1\n", "version: 1\nlocale: "+lang+"\n", 1)
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestLocale: the top-level locale is the language of mails and PDFs
// (da when not given) and the console's when web.locale is not given;
// web.locale, when given, is the console's alone.
func TestLocale(t *testing.T) {
	const web = "  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n  links: true\n"
	for _, c := range []struct {
		name, top, web       string
		wantTop, wantConsole string
	}{
		{"defaults", "", "", "da", "da"},
		{"top sv", "sv", "", "sv", "sv"},
		{"top en", "en", "", "en", "en"},
		{"web only", "", "  locale: sv\n", "da", "sv"},
		{"both", "sv", "  locale: en\n", "sv", "en"},
		{"same", "da", "  locale: da\n", "da", "da"},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := webConfig(t, anna, web+c.web)
			if c.top != "" {
				withLocale(t, file, c.top)
			}
			cfg, err := Load(file, testRegistry())
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Locale != c.wantTop || cfg.Web.Locale != c.wantConsole {
				t.Fatalf("locale %q, web.locale %q; want %q, %q", cfg.Locale, cfg.Web.Locale, c.wantTop, c.wantConsole)
			}
		})
	}
	t.Run("no web", func(t *testing.T) {
		cfg, err := Load(withLocale(t, webConfig(t, anna, ""), "en"), testRegistry())
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Locale != "en" || cfg.Web != nil {
			t.Fatalf("locale %q, web %+v", cfg.Locale, cfg.Web)
		}
	})
}
