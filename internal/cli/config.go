package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// config is $XDG_CONFIG_HOME/vigil/config.toml: defaults for the flags a
// site sets once. A flag given on the command line wins over the
// environment (VIGIL_DB), which wins over the file.
type config struct {
	DB           string   `toml:"db"`
	VulnDB       string   `toml:"vulndb"`
	Operator     string   `toml:"operator"`
	Organisation string   `toml:"organisation"`
	Ports        string   `toml:"ports"`
	UDPPorts     *string  `toml:"udp_ports"` // "" is a value: no UDP
	TLSCA        []string `toml:"tls_ca"`
}

// configPath is where the configuration file is looked for:
// $VIGIL_CONFIG, else $XDG_CONFIG_HOME/vigil/config.toml, else
// ~/.config/vigil/config.toml.
func configPath() string {
	if p := os.Getenv("VIGIL_CONFIG"); p != "" {
		return p
	}
	base := os.Getenv("XDG_CONFIG_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		base = filepath.Join(home, ".config")
	}
	return filepath.Join(base, "vigil", "config.toml")
}

// loadConfig reads the configuration file; a missing file is an empty
// configuration, a file with a mistake or an unknown key is a usage error.
func loadConfig() (config, string, error) {
	var c config
	path := configPath()
	if path == "" {
		return c, "", nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, "", nil
	}
	if err != nil {
		return c, path, fmt.Errorf("cannot read the configuration %s: %w", path, err)
	}
	md, err := toml.Decode(string(b), &c)
	if err != nil {
		return c, path, usageError("the configuration %s has a mistake: %v", path, err)
	}
	if extra := md.Undecoded(); len(extra) > 0 {
		keys := make([]string, len(extra))
		for i, k := range extra {
			keys[i] = k.String()
		}
		return c, path, usageError("the configuration %s has unknown settings: %s (known: db, vulndb, operator, organisation, ports, udp_ports, tls_ca)",
			path, strings.Join(keys, ", "))
	}
	return c, path, nil
}

// applyConfig sets the flags of cmd that were not given on the command
// line from VIGIL_DB, VIGIL_VULNDB and the configuration file.
func applyConfig(cmd *cobra.Command, c config, path string) error {
	fl := cmd.Flags()
	set := func(name, value, from string) error {
		f := fl.Lookup(name)
		if f == nil || f.Changed || value == "" && name != "udp-ports" {
			return nil
		}
		if err := fl.Set(name, value); err != nil {
			return usageError("%s (from %s): %v", name, from, err)
		}
		f.Changed = false // still "not given": later layers may set it
		return nil
	}
	db, from := c.DB, path
	if v := os.Getenv("VIGIL_DB"); v != "" {
		db, from = v, "VIGIL_DB"
	}
	if err := set("db", db, from); err != nil {
		return err
	}
	vdb, from := c.VulnDB, path
	if v := os.Getenv("VIGIL_VULNDB"); v != "" {
		vdb, from = v, "VIGIL_VULNDB"
	}
	if err := set("vulndb", vdb, from); err != nil {
		return err
	}
	if err := set("operator", c.Operator, path); err != nil {
		return err
	}
	if err := set("organisation", c.Organisation, path); err != nil {
		return err
	}
	if err := set("ports", c.Ports, path); err != nil {
		return err
	}
	if c.UDPPorts != nil {
		if err := set("udp-ports", *c.UDPPorts, path); err != nil {
			return err
		}
	}
	if f := fl.Lookup("tls-ca"); f != nil && !f.Changed && len(c.TLSCA) > 0 {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			if err := sv.Replace(slices.Clone(c.TLSCA)); err != nil {
				return usageError("tls_ca (from %s): %v", path, err)
			}
		}
	}
	return nil
}
