// Command crasher saves large scan documents into a store in a loop, for the
// store's crash-safety test, which kills it with SIGKILL at random moments.
// It prints "open" once the store is open, then "saving N" before and
// "saved N" after each save of storetest.Document(N, …), unbuffered, so the
// test knows which saves were committed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

func main() {
	db := flag.String("db", "", "store DSN")
	from := flag.Int("from", 0, "first document number")
	count := flag.Int("count", 1000, "how many documents to save")
	hosts := flag.Int("hosts", 50, "hosts per document")
	per := flag.Int("per", 40, "findings per host")
	pad := flag.Int("pad", 400, "evidence bytes per finding")
	flag.Parse()
	ctx := context.Background()
	s, err := store.Open(ctx, *db)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("open")
	for n := *from; n < *from+*count; n++ {
		doc := storetest.Document(n, *hosts, *per, *pad)
		fmt.Println("saving", n)
		if err := s.Save(ctx, doc); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("saved", n)
	}
	s.Close()
}
