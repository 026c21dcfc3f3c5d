package auth

import (
	"context"
	"fmt"
)

// PasswordGate bounds how many password hashes are computed at once. Each
// takes 64 MiB for a moment (argon2id's memory), so a server that checks
// every login attempt as it comes could be made to allocate gigabytes by
// a burst of them; behind a gate the rest wait their turn (or give up when
// their request does).
type PasswordGate struct {
	slots chan struct{}
	// check and hash are CheckPassword and HashPassword (tests replace them).
	check func(encoded, password string) bool
	hash  func(password string) (string, error)
}

// NewPasswordGate returns a gate letting n hashes run at once (at least 1).
func NewPasswordGate(n int) *PasswordGate {
	return &PasswordGate{slots: make(chan struct{}, max(n, 1)), check: CheckPassword, hash: HashPassword}
}

// enter waits for a slot; the error is the context's when it ends first.
func (g *PasswordGate) enter(ctx context.Context) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("gave up waiting to check a password: %w", context.Cause(ctx))
	}
}

// Check is CheckPassword behind the gate. An empty encoded (no such
// account) spends the same work on a dummy hash and is false, so that a
// login to an unknown account takes as long as one to a known one.
func (g *PasswordGate) Check(ctx context.Context, encoded, password string) (bool, error) {
	if err := g.enter(ctx); err != nil {
		return false, err
	}
	defer func() { <-g.slots }()
	if encoded == "" {
		g.check(dummyHash, password)
		return false, nil
	}
	return g.check(encoded, password), nil
}

// Hash is HashPassword behind the gate.
func (g *PasswordGate) Hash(ctx context.Context, password string) (string, error) {
	if err := g.enter(ctx); err != nil {
		return "", err
	}
	defer func() { <-g.slots }()
	return g.hash(password)
}
