package dnsaudit

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// Caps of one zone transfer: vigil counts records and stops reading there.
const (
	maxTransferRecords = 100_000
	maxTransferBytes   = 8 << 20
	maxOwners          = 5
)

// transfer follows one AXFR answer (RFC 5936), message by message: it
// counts records and keeps a few owner names, never their data.
type transfer struct {
	zone    string
	id      uint16
	msgs    int
	records int
	soas    int
	other   int // records other than SOA and NS
	owners  []string
	refusal string // the response code of a refused transfer
}

// done reports whether the transfer ended: refused, or the closing SOA
// arrived.
func (t *transfer) done() bool { return t.refusal != "" || t.soas >= 2 }

// add parses one message of the transfer.
func (t *transfer) add(msg []byte) error {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if h.ID != t.id || !h.Response {
		return fmt.Errorf("%w: not the answer to our transfer request", ErrMalformed)
	}
	t.msgs++
	if h.RCode != dnsmessage.RCodeSuccess {
		t.refusal = rcodeName(h.RCode)
		return nil
	}
	if err := p.SkipAllQuestions(); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	for !t.done() {
		rr, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if err := p.SkipAnswer(); err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if t.records == 0 && (rr.Type != dnsmessage.TypeSOA || !strings.EqualFold(rr.Name.String(), t.zone)) {
			// RFC 5936 section 2.2: the transfer opens with the zone's SOA.
			t.refusal = "no SOA first"
			return nil
		}
		t.records++
		switch rr.Type {
		case dnsmessage.TypeSOA:
			t.soas++
		case dnsmessage.TypeNS:
		default:
			t.other++
		}
		if owner := text(rr.Name.String(), 80); len(t.owners) < maxOwners && !slices.Contains(t.owners, owner) {
			t.owners = append(t.owners, owner)
		}
	}
	if t.msgs == 1 && t.records == 0 && !t.done() {
		// An empty NOERROR answer is how some servers decline.
		t.refusal = "empty answer"
	}
	return nil
}
