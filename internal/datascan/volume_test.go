package datascan

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeMachine writes the mountinfo and sysfs entries cryptVolume reads: a
// plain root partition, LVM on LUKS under /srv/pg, a plain dm-crypt
// mapping under a mount point with a space, and a tmpfs.
func fakeMachine(t *testing.T) string {
	root := t.TempDir()
	files := map[string]string{
		"proc/self/mountinfo": "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n" +
			"30 22 253:1 / /srv/pg rw,relatime - ext4 /dev/mapper/vg-pg rw\n" +
			"31 22 0:50 / /mnt/tmp rw - tmpfs tmpfs rw\n" +
			`32 22 253:2 / /data\040space rw - xfs /dev/mapper/plain rw` + "\n",
		"sys/dev/block/8:1/partition":      "1\n",
		"sys/dev/block/253:0/dm/uuid":      "CRYPT-LUKS2-0123456789abcdef-luks\n",
		"sys/dev/block/253:1/dm/uuid":      "LVM-abcdef\n",
		"sys/dev/block/253:1/slaves/dm-0":  "",
		"sys/class/block/dm-0/dev":         "253:0\n",
		"sys/dev/block/253:2/dm/uuid":      "CRYPT-PLAIN-data\n",
		"sys/dev/block/8:16/dm/uuid":       "mpath-not-crypt\n",
		"sys/dev/block/253:9/slaves/.keep": "",
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestCryptVolume(t *testing.T) {
	root := fakeMachine(t)
	for _, tc := range []struct {
		path             string
		encrypted, known bool
	}{
		{"/var/lib/postgresql/15/main", false, true}, // the plain root partition
		{"/srv/pg/15/main", true, true},              // LVM on LUKS
		{"/srv/pg", true, true},
		{"/srv/pgx/main", false, true}, // not under /srv/pg
		{"/srv/pg/../x", false, true},  // cleaned: /srv/x
		{"/mnt/tmp/db", false, false},  // tmpfs: sysfs has no device
		{"/data space/db", true, true}, // plain dm-crypt, escaped mount point
	} {
		enc, known := cryptVolume(root, tc.path)
		if enc != tc.encrypted || known != tc.known {
			t.Errorf("cryptVolume(%q) = %v, %v; want %v, %v", tc.path, enc, known, tc.encrypted, tc.known)
		}
	}
	// Without mountinfo nothing can be told.
	if _, known := cryptVolume(t.TempDir(), "/srv/pg"); known {
		t.Error("known without a mountinfo")
	}
}
