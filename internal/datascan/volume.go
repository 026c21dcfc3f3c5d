package datascan

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cryptVolume tells whether path, on this machine, lies on a dm-crypt
// (LUKS) volume: the mount holding it (the longest mount point that
// contains it, from mountinfo) is a block device that is dm-crypt itself
// or stacked on one (LVM on LUKS), as sysfs shows. root is "/" except in
// tests, which give a tree of their own. known is false when it cannot be
// told: no such mount, or a device sysfs does not describe (tmpfs,
// overlay, a network file system).
func cryptVolume(root, path string) (encrypted, known bool) {
	dev, ok := mountDevice(root, filepath.Clean(path))
	if !ok {
		return false, false
	}
	if _, err := os.Stat(filepath.Join(root, "sys/dev/block", dev)); err != nil {
		return false, false
	}
	return onCrypt(root, dev, 0), true
}

// mountDevice returns the major:minor of the mount holding path.
func mountDevice(root, path string) (string, bool) {
	f, err := os.Open(filepath.Join(root, "proc/self/mountinfo"))
	if err != nil {
		return "", false
	}
	defer f.Close()
	best, dev := -1, ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ... - FSTYPE SOURCE SUPER
		fs := strings.Fields(sc.Text())
		if len(fs) < 5 {
			continue
		}
		mp := unescapeMount(fs[4])
		if mp == path || mp == "/" || strings.HasPrefix(path, strings.TrimSuffix(mp, "/")+"/") {
			if len(mp) > best {
				best, dev = len(mp), fs[2]
			}
		}
	}
	return dev, best >= 0
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// onCrypt reports whether the block device dev (major:minor) is a
// dm-crypt mapping or sits on one, following sysfs's slaves.
func onCrypt(root, dev string, depth int) bool {
	if depth > 8 {
		return false
	}
	base := filepath.Join(root, "sys/dev/block", dev)
	if uuid, err := os.ReadFile(filepath.Join(base, "dm/uuid")); err == nil && strings.HasPrefix(string(uuid), "CRYPT-") {
		return true
	}
	slaves, err := os.ReadDir(filepath.Join(base, "slaves"))
	if err != nil {
		return false
	}
	for _, s := range slaves {
		num, err := os.ReadFile(filepath.Join(root, "sys/class/block", s.Name(), "dev"))
		if err == nil && onCrypt(root, strings.TrimSpace(string(num)), depth+1) {
			return true
		}
	}
	return false
}
