package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/finding"
)

// Acceptance is a stored risk acceptance of one finding.
type Acceptance struct {
	Finding   string `json:"finding"`
	Check     string `json:"check"`
	Host      string `json:"host"`
	Port      int    `json:"port"`
	Transport string `json:"transport,omitempty"`
	finding.Acceptance
	Created time.Time `json:"created"`
	// Revoked is when it was revoked; zero while it was not.
	Revoked time.Time `json:"revoked,omitzero"`
}

// ErrNoAcceptance means no acceptance of a finding is in the store.
var ErrNoAcceptance = errors.New("no acceptance of this finding")

// Accept records an acceptance; one made earlier for the same finding and
// not yet revoked is revoked by it (the newest word counts).
func (s *Store) Accept(ctx context.Context, a Acceptance) error {
	if _, err := time.Parse(finding.DateLayout, a.Until); err != nil {
		return fmt.Errorf("acceptance of %s: bad date %q (want YYYY-MM-DD)", a.Finding, a.Until)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("cannot record the acceptance in %s: %w", s.where, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.rebind("UPDATE acceptances SET revoked = ? WHERE finding = ? AND revoked = ''"),
		formatTime(a.Created), clean(a.Finding)); err != nil {
		return fmt.Errorf("cannot record the acceptance in %s: %w", s.where, err)
	}
	if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO acceptances (finding, check_id, host, port, transport, by_whom, reason, until_day, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		clean(a.Finding), clean(a.Check), clean(a.Host), a.Port, clean(a.Transport), clean(a.By), clean(a.Reason), a.Until, formatTime(a.Created)); err != nil {
		return fmt.Errorf("cannot record the acceptance in %s: %w", s.where, err)
	}
	return tx.Commit()
}

// Revoke revokes the acceptance of a finding at t; ErrNoAcceptance when
// none is in force.
func (s *Store) Revoke(ctx context.Context, findingID string, t time.Time) error {
	res, err := s.db.ExecContext(ctx, s.rebind("UPDATE acceptances SET revoked = ? WHERE finding = ? AND revoked = ''"), formatTime(t), findingID)
	if err != nil {
		return fmt.Errorf("cannot revoke the acceptance in %s: %w", s.where, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w %s in %s", ErrNoAcceptance, findingID, s.where)
	}
	return nil
}

// Acceptances returns the acceptances not revoked, newest first; with all,
// the revoked ones too.
func (s *Store) Acceptances(ctx context.Context, all bool) ([]Acceptance, error) {
	q := "SELECT finding, check_id, host, port, transport, by_whom, reason, until_day, created, revoked FROM acceptances"
	if !all {
		q += " WHERE revoked = ''"
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY created DESC, finding")
	if err != nil {
		return nil, fmt.Errorf("cannot read the acceptances in %s: %w", s.where, err)
	}
	defer rows.Close()
	var out []Acceptance
	for rows.Next() {
		var a Acceptance
		var created, revoked string
		if err := rows.Scan(&a.Finding, &a.Check, &a.Host, &a.Port, &a.Transport, &a.By, &a.Reason, &a.Until, &created, &revoked); err != nil {
			return nil, fmt.Errorf("cannot read the acceptances in %s: %w", s.where, err)
		}
		if a.Created, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("acceptance of %s in %s is damaged: %w", a.Finding, s.where, err)
		}
		if revoked != "" {
			if a.Revoked, err = parseTime(revoked); err != nil {
				return nil, fmt.Errorf("acceptance of %s in %s is damaged: %w", a.Finding, s.where, err)
			}
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// InForce returns, by finding id, the acceptances that hold at t.
func (s *Store) InForce(ctx context.Context, t time.Time) (map[string]finding.Acceptance, error) {
	list, err := s.Acceptances(ctx, false)
	if err != nil {
		return nil, err
	}
	out := map[string]finding.Acceptance{}
	for _, a := range list {
		if _, seen := out[a.Finding]; !seen && a.Acceptance.InForce(t) {
			out[a.Finding] = a.Acceptance
		}
	}
	return out, nil
}
