package fix

import (
	"errors"
	"fmt"

	"github.com/vigilsec/vigil/internal/codec/resp"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// errIncomplete means more bytes are needed for a whole answer.
var errIncomplete = resp.ErrIncomplete

// maxArray caps the elements of an array answer.
const maxArray = 1024

// replyLimits are what a fix accepts from Redis: an array of scalars at
// most (CONFIG GET), each at most maxRedisReply bytes.
var replyLimits = resp.Limits{MaxBulk: maxRedisReply, MaxArray: maxArray, MaxDepth: 1}

// parseReply reads one RESP2 answer at the start of b: a simple string,
// an integer, a bulk string (a null one is ""), or an array of those
// (CONFIG GET). An error answer ("-ERR …") is returned as an error. n is how
// many bytes the answer took. The bytes come from a server: resp.Parse
// checks every length.
func parseReply(b []byte) (vals []string, n int, err error) {
	v, n, err := resp.Parse(b, replyLimits)
	switch {
	case errors.Is(err, resp.ErrIncomplete):
		return nil, 0, err
	case err != nil:
		return nil, n, fmt.Errorf("not a Redis answer: %w", err)
	}
	if v.Type != '*' {
		s, err := replyString(v)
		if err != nil {
			return nil, n, err
		}
		return []string{s}, n, nil
	}
	for _, e := range v.Elems {
		s, err := replyString(e)
		if err != nil {
			return nil, n, err
		}
		vals = append(vals, s)
	}
	return vals, n, nil
}

// replyString returns a scalar answer as sanitised text.
func replyString(v resp.Value) (string, error) {
	switch v.Type {
	case '-':
		return "", fmt.Errorf("Redis answered: %s", sanitize.String(string(v.Text), 300))
	case '$':
		return sanitize.String(string(v.Text), 4096), nil
	}
	return sanitize.String(string(v.Text), 1024), nil
}
