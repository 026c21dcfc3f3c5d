package identify

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/vigilsec/vigil/internal/codec/bson"
	"github.com/vigilsec/vigil/internal/codec/mongo"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/wire"
)

// mongoCommand sends one command and returns the answer document.
func mongoCommand(ctx context.Context, c net.Conn, timeout time.Duration, legacy bool, cmd []byte) ([]byte, map[string]bson.Value, error) {
	reqID := rand.Int32()
	req := mongo.Msg(reqID, cmd)
	if legacy {
		req = mongo.Query(reqID, cmd)
	}
	resp, err := wire.Exchange(ctx, c, req, httpCap, timeout, func(b []byte) bool { return mongo.Complete(b, httpCap) })
	doc, perr := mongo.ParseReply(resp, reqID)
	if perr != nil {
		if len(resp) == 0 {
			return nil, nil, ioNoMatch(proto.MongoDB, err)
		}
		return resp, nil, noMatch(proto.MongoDB, "%v", perr)
	}
	return resp, doc, nil
}

// probeMongoDB sends hello in an OP_MSG (isMaster in a legacy OP_QUERY when
// the server closes on OP_MSG, as servers before 3.6 do) and then buildInfo
// for the version; both are allowed before authentication.
func probeMongoDB(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	c, err := l.open(ctx)
	if err != nil {
		return nil, ioNoMatch(proto.MongoDB, err)
	}
	defer func() { _ = c.Close() }()
	legacy := false
	resp, hello, err := mongoCommand(ctx, c, l.opt.Timeout, false, bson.Doc(bson.Elem{Key: "hello", Val: int32(1)}, bson.Elem{Key: "$db", Val: "admin"}))
	if len(resp) == 0 && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
		_ = c.Close()
		if c, err = l.open(ctx); err != nil {
			return nil, ioNoMatch(proto.MongoDB, err)
		}
		legacy = true
		resp, hello, err = mongoCommand(ctx, c, l.opt.Timeout, true, bson.Doc(bson.Elem{Key: "isMaster", Val: int32(1)}))
	}
	if err != nil {
		return resp, err
	}
	if _, ok := hello["ok"]; !ok {
		return resp, noMatch(proto.MongoDB, "answer has no ok field")
	}
	s.Name = proto.MongoDB
	s.Product = "MongoDB"
	if v, ok := hello["maxWireVersion"].Num(); ok {
		s.SetDetail(facts.DetailMongoDBMaxWireVersion, strconv.Itoa(int(v)))
	}
	cmd := bson.Doc(bson.Elem{Key: "buildInfo", Val: int32(1)}, bson.Elem{Key: "$db", Val: "admin"})
	if legacy {
		cmd = bson.Doc(bson.Elem{Key: "buildInfo", Val: int32(1)})
	}
	if _, info, err := mongoCommand(ctx, c, l.opt.Timeout, legacy, cmd); err == nil {
		if v, ok := info["version"].Str(); ok {
			s.Version = clean(v, 32)
		}
	}
	return nil, nil
}
