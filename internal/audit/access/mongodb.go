package access

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/bson"
	"github.com/vigilsec/vigil/internal/codec/mongo"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// mongoOpMsgWire is the first wire version with OP_MSG (MongoDB 3.6).
const mongoOpMsgWire = 6

// databaseNames reads the names of a listDatabases answer:
// {databases: [{name: …}, …], ok: 1}. ok is false when the command failed.
func databaseNames(doc map[string]bson.Value) (names []string, errmsg string, ok bool) {
	if v, _ := doc["ok"].Num(); v != 1 {
		msg, _ := doc["errmsg"].Str()
		if code, _ := doc["codeName"].Str(); code != "" {
			msg = code + ": " + msg
		}
		return nil, msg, false
	}
	dbs, err := doc["databases"].Array()
	if err != nil {
		return nil, "no databases array", false
	}
	for _, d := range dbs {
		fields, err := d.Doc()
		if err != nil {
			continue
		}
		if n, ok := fields["name"].Str(); ok {
			names = append(names, n)
		}
	}
	return names, "", true
}

// mongoEvidence lists the databases (at most ten by name).
func mongoEvidence(names []string) string {
	var shown []string
	for i, n := range names {
		if i == 10 {
			shown = append(shown, fmt.Sprintf("and %d more", len(names)-10))
			break
		}
		shown = append(shown, clean(n, 64))
	}
	if len(names) == 0 {
		return "listDatabases answered without credentials (no databases)"
	}
	return fmt.Sprintf("listDatabases answered without credentials: %d databases (%s)", len(names), strings.Join(shown, ", "))
}

// auditMongoDB runs listDatabases with nameOnly, which needs authentication
// whenever access control is on. It is sent as OP_MSG, or as a legacy
// OP_QUERY to servers older than 3.6 (maxWireVersion below 6, as
// identification found).
func auditMongoDB(ctx context.Context, p *prober, s *facts.Service) (*facts.Access, error) {
	legacy := false
	if w, err := strconv.Atoi(s.Detail(facts.DetailMongoDBMaxWireVersion)); err == nil && w < mongoOpMsgWire {
		legacy = true
	}
	c, err := p.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	reqID := rand.Int32()
	var req []byte
	if legacy {
		req = mongo.Query(reqID, bson.Doc(bson.Elem{Key: "listDatabases", Val: int32(1)}, bson.Elem{Key: "nameOnly", Val: true}))
	} else {
		req = mongo.Msg(reqID, bson.Doc(bson.Elem{Key: "listDatabases", Val: int32(1)}, bson.Elem{Key: "nameOnly", Val: true}, bson.Elem{Key: "$db", Val: "admin"}))
	}
	b, err := p.exchange(ctx, c, req, dataCap, func(b []byte) bool { return mongo.Complete(b, dataCap) })
	doc, perr := mongo.ParseReply(b, reqID)
	if perr != nil {
		if len(b) == 0 && err != nil {
			return nil, err
		}
		return nil, protocolError(proto.MongoDB, "listDatabases not answered ("+perr.Error()+")", b)
	}
	names, _, ok := databaseNames(doc)
	if !ok {
		return &facts.Access{}, nil
	}
	return &facts.Access{Unauthenticated: mongoEvidence(names)}, nil
}
