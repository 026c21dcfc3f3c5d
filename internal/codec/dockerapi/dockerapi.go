// Package dockerapi reads the answers of the Docker Engine API that vigil
// asks for: the body of GET /version. It is vigil's one parser of them,
// for identification and access audits alike. It never panics on hostile
// input; the strings it returns are the server's and still need
// sanitising before they are shown.
package dockerapi

import (
	"encoding/json"
	"errors"
	"fmt"
)

// MaxBody caps the body ParseVersion reads.
const MaxBody = 1 << 20

// ErrNoVersion means a GET /version body names no engine version.
var ErrNoVersion = errors.New("GET /version has no Version")

// Version is the part of GET /version that vigil uses.
type Version struct {
	// Version is the engine's version, "24.0.5".
	Version string
	// APIVersion is the newest API version it speaks, "1.43".
	APIVersion string `json:"ApiVersion"`
	// Os and Arch are the engine's platform, "linux" and "amd64".
	Os   string
	Arch string
}

// ParseVersion reads the JSON body of GET /version.
func ParseVersion(body []byte) (Version, error) {
	var v Version
	if len(body) > MaxBody {
		return Version{}, fmt.Errorf("GET /version answered %d bytes, more than %d", len(body), MaxBody)
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return Version{}, fmt.Errorf("GET /version: %w", err)
	}
	if v.Version == "" {
		return Version{}, ErrNoVersion
	}
	return v, nil
}
