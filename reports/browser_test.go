package reports

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// findChromium returns the headless browser to use, or skips (fails under CI=true, where the
// browser check is required).
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found, and CI=true requires the browser check: apt-get install -y chromium")
	}
	t.Skip("chromium not found: skipping the headless browser check (install it with apt-get install -y chromium)")
	return ""
}

// runChromium runs a headless, offline, throwaway-profile chromium with extra arguments. The
// context deadline only keeps a wedged browser from hanging the test run; nothing is timed.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// TestBrowserRendersReport loads the sample report in headless chromium and checks what a
// reader sees after the inline script ran: the matrix with its JS-built filters and row count,
// the summary counts, and the failing case opened (from the URL fragment) on its transcript.
func TestBrowserRendersReport(t *testing.T) {
	bin := findChromium(t)
	dir := t.TempDir()
	if err := WriteAll(dir, sampleResults(t)); err != nil {
		t.Fatal(err)
	}
	url := "file://" + filepath.Join(dir, "report.html") + "#case-prim/server/10.3.1/10"

	dom := string(runChromium(t, bin, "--dump-dom", url))
	checks := []struct{ what, pattern string }{
		{"script ran", `<body data-js="ready"`},
		{"matrix", `<table id="matrix" class="matrix">`},
		{"matrix row count written by the script", `<span class="shown" data-shown="">93 of 93 shown</span>`},
		{"statement row count written by the script", `373 of 373 shown`},
		{"section filter options built by the script", `<option value="5.1 Subscriptions">5.1 Subscriptions</option>`},
		{"verdict filter options built by the script", `<option value="untested">untested</option>`},
		{"failing case count", `id="count-cases-fail"><b>2</b>`},
		{"requirement counts", `id="count-rfc2779-untested"><b>80</b>`},
		{"verdict badge", `id="verdict">not conformant</span>`},
		{"failing case opened from the fragment", `<details class="case" id="case-prim/server/10.3.1/10" open="">`},
		{"its transcript", `S&gt; PRIM-PR/1.0 7 0 406 Authentication Failed`},
	}
	for _, c := range checks {
		if !strings.Contains(dom, c.pattern) {
			t.Errorf("DOM lacks %s: %q", c.what, c.pattern)
		}
	}
	if m := regexp.MustCompile(`<tr data-section="[^"]*" data-level="[^"]*" data-verdict="[^"]*"`).FindAllString(dom, -1); len(m) != 93+373 {
		t.Errorf("DOM has %d matrix rows, want %d", len(m), 93+373)
	}
	if strings.Contains(dom, "<script>alert") {
		t.Error("hostile transcript became markup")
	}

	// Filters preset from the query string: only the failing requirements and statements show.
	filtered := string(runChromium(t, bin, "--dump-dom", "file://"+filepath.Join(dir, "report.html")+"?verdict=fail"))
	for _, want := range []string{"4 of 93 shown", "3 of 373 shown"} {
		if !strings.Contains(filtered, want) {
			t.Errorf("filtered DOM lacks %q", want)
		}
	}
	if n := strings.Count(filtered, `style="display: none;"`); n != 93-4+373-3 {
		t.Errorf("filtered DOM hides %d rows, want %d", n, 93-4+373-3)
	}

	shot := filepath.Join(t.TempDir(), "shot.png")
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1280,2000", "--hide-scrollbars", "file://"+filepath.Join(dir, "report.html"))
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 2000 {
		t.Errorf("screenshot is %dx%d, want 1280x2000", b.Dx(), b.Dy())
	}
	if n := distinctColours(img); n < 50 {
		t.Errorf("screenshot has %d distinct colours: blank or unstyled page", n)
	}
	if out := os.Getenv("PRIMLAB_SCREENSHOT"); out != "" {
		data, _ := os.ReadFile(shot)
		_ = os.WriteFile(out, data, 0o644)
	}
}

func distinctColours(img image.Image) int {
	seen := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[(r>>11)<<10|(g>>11)<<5|bl>>11] = true
		}
	}
	return len(seen)
}
