package notify

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/configs"
)

// TestMailLinksToTheConsole: with web.url the approver's mail gives the
// batch's page in the console, on its own line before `batches show`;
// without it, no link.
func TestMailLinksToTheConsole(t *testing.T) {
	for _, withWeb := range []bool{true, false} {
		t.Run(fmt.Sprint(withWeb), func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			e := newTestEnv(t, dir)
			if withWeb {
				e.p.Config.Web = &configs.Web{URL: "https://retentiond.skole.example"}
			}
			e.src.Put("two/a.txt", []byte("a"), start.Add(-5*24*time.Hour))
			b := e.plan()["TWO"]
			e.pass()
			got, _ := e.mails(0)
			text := got["anna@skole.example"][fmt.Sprintf("retentiond: batch %d awaits your approval (TWO, 1 item, 1 B, on src)", b.ID)]
			if text == "" {
				t.Fatalf("no mail to anna: %v", got)
			}
			link := fmt.Sprintf("    https://retentiond.skole.example/batches/%d\n    retentiond batches show %d\n", b.ID, b.ID)
			if withWeb != strings.Contains(text, link) || !withWeb && strings.Contains(text, "https://") {
				t.Fatalf("web %v, mail:\n%s", withWeb, text)
			}
		})
	}
	if got := BatchLink(&configs.Config{Web: &configs.Web{URL: "https://x.example/console/"}}, 7); got != "https://x.example/console/batches/7" {
		t.Errorf("BatchLink %q", got)
	}
	if got := BatchLink(&configs.Config{}, 7); got != "" {
		t.Errorf("BatchLink without web %q", got)
	}
}
