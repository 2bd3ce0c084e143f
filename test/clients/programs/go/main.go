// A session with go-redis (github.com/redis/go-redis/v9), and over RESP3 one
// with rueidis, printed a line per step: the languages test
// (test/clients/languages.test.ts) runs it against Nodis and against
// redis-server and compares the two outputs line for line.
//
//	go run . PORT PROTOCOL      (PROTOCOL: 2 or 3; go-redis speaks RESP3 unless told 2)
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
)

var ctx = context.Background()

func show(name string, v interface{}, err error) {
	if err != nil {
		fmt.Printf("%s: error: %v\n", name, err)
		return
	}
	fmt.Printf("%s: %v\n", name, v)
}

func main() {
	port := os.Args[1]
	protocol, _ := strconv.Atoi(os.Args[2])
	opts := &redis.Options{Addr: "127.0.0.1:" + port, Protocol: protocol}
	r := redis.NewClient(opts)
	other := redis.NewClient(opts)
	defer r.Close()
	defer other.Close()

	r.FlushAll(ctx)
	v, err := r.Ping(ctx).Result()
	show("ping", v, err)
	v, err = r.Set(ctx, "go:s", "bar", 0).Result()
	show("set", v, err)
	v, err = r.Get(ctx, "go:s").Result()
	show("get", v, err)
	_, err = r.Get(ctx, "go:missing").Result()
	show("get missing is redis.Nil", err == redis.Nil, nil)
	ok, err := r.SetNX(ctx, "go:s", "baz", 0).Result()
	show("setnx", ok, err)
	v, err = r.Set(ctx, "go:t", "v", 100*time.Second).Result()
	show("set ex", v, err)
	d, err := r.TTL(ctx, "go:t").Result()
	show("ttl", d, err)
	n, err := r.IncrBy(ctx, "go:n", 5).Result()
	show("incrby", n, err)
	f, err := r.IncrByFloat(ctx, "go:f", 1.5).Result()
	show("incrbyfloat", f, err)
	vals, err := r.MGet(ctx, "go:s", "go:n", "go:none").Result()
	show("mget", vals, err)
	_, err = r.LPush(ctx, "go:s", "x").Result()
	show("wrongtype", nil, err)
	_, err = r.Incr(ctx, "go:s").Result()
	show("not an integer", nil, err)
	_, err = r.Do(ctx, "NOSUCHCMD", "x").Result()
	show("unknown command", nil, err)

	n, err = r.HSet(ctx, "go:h", "f1", "v1", "f2", "v2").Result()
	show("hset", n, err)
	m, err := r.HGetAll(ctx, "go:h").Result()
	show("hgetall", m, err) // fmt prints maps in key order
	n, err = r.HIncrBy(ctx, "go:h", "n", 3).Result()
	show("hincrby", n, err)

	n, err = r.RPush(ctx, "go:l", "a", "b", "c").Result()
	show("rpush", n, err)
	ss, err := r.LRange(ctx, "go:l", 0, -1).Result()
	show("lrange", ss, err)
	ss, err = r.LPopCount(ctx, "go:l", 2).Result()
	show("lpop count", ss, err)
	ss, err = r.BLPop(ctx, time.Second, "go:empty").Result()
	show("blpop timeout is redis.Nil", err == redis.Nil, nil)

	n, err = r.SAdd(ctx, "go:set", "x", "y", "z").Result()
	show("sadd", n, err)
	ss, err = r.SMembers(ctx, "go:set").Result()
	sort.Strings(ss)
	show("smembers", ss, err)

	n, err = r.ZAdd(ctx, "go:z", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2.5, Member: "b"}, redis.Z{Score: 3, Member: "c"}).Result()
	show("zadd", n, err)
	zs, err := r.ZRangeWithScores(ctx, "go:z", 0, -1).Result()
	show("zrange withscores", zs, err)
	sc, err := r.ZScore(ctx, "go:z", "b").Result()
	show("zscore", sc, err)

	id, err := r.XAdd(ctx, &redis.XAddArgs{Stream: "go:x", ID: "1-1", Values: []string{"k", "v"}}).Result()
	show("xadd", id, err)
	xs, err := r.XRange(ctx, "go:x", "-", "+").Result()
	show("xrange", xs, err)
	v, err = r.XGroupCreate(ctx, "go:x", "g", "0").Result()
	show("xgroup create", v, err)
	streams, err := r.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c1", Streams: []string{"go:x", ">"}, Count: 1}).Result()
	show("xreadgroup", streams, err)

	cmds, err := r.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "go:p", "1", 0)
		p.Incr(ctx, "go:p")
		p.Get(ctx, "go:p")
		return nil
	})
	show("pipeline", cmds, err)
	cmds, err = r.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "go:t1", "a", 0)
		p.Append(ctx, "go:t1", "b")
		p.Get(ctx, "go:t1")
		return nil
	})
	show("multi/exec", cmds, err)

	// WATCH: a change by another connection aborts the transaction.
	err = r.Watch(ctx, func(tx *redis.Tx) error {
		other.Set(ctx, "go:w", "changed", 0)
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "go:w", "mine", 0)
			return nil
		})
		return err
	}, "go:w")
	show("watch aborted is redis.TxFailedErr", err == redis.TxFailedErr, nil)
	v, err = r.Get(ctx, "go:w").Result()
	show("after watch", v, err)

	res, err := r.Eval(ctx, "return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}", []string{"go:e"}, "arg").Result()
	show("eval", res, err)
	script := redis.NewScript("return redis.call('GET', KEYS[1])")
	res, err = script.Run(ctx, r, []string{"go:s"}).Result()
	show("evalsha (script object)", res, err)
	_, err = r.Eval(ctx, "return redis.call('LPUSH', KEYS[1], 'x')", []string{"go:s"}).Result()
	show("eval error", nil, err)

	var keys []string
	iter := r.Scan(ctx, 0, "go:[hl]", 0).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	sort.Strings(keys)
	show("scan", keys, iter.Err())
	n, err = r.Exists(ctx, "go:s", "go:h", "go:none").Result()
	show("exists", n, err)
	v, err = r.Type(ctx, "go:z").Result()
	show("type", v, err)

	// Pub/sub: a subscriber on its own connection receives a message published after it subscribed.
	sub := r.Subscribe(ctx, "go:chan")
	msg, err := sub.Receive(ctx)
	show("subscribe", msg, err)
	n, err = r.Publish(ctx, "go:chan", "hello").Result()
	show("publish", n, err)
	got, err := sub.ReceiveMessage(ctx)
	if err == nil {
		show("message", got.Channel+" "+got.Payload, nil)
	} else {
		show("message", nil, err)
	}
	sub.Close()

	// A blocked BLPOP served by a push from another connection.
	go func() {
		time.Sleep(200 * time.Millisecond)
		other.RPush(ctx, "go:q", "job")
	}()
	ss, err = r.BLPop(ctx, 10*time.Second, "go:q").Result()
	show("blpop served", ss, err)
	n, err = r.DBSize(ctx).Result()
	show("dbsize", n, err)
	if protocol == 3 {
		rueidisSession(port)
	}
	fmt.Println("done")
}

// rueidis (github.com/redis/rueidis) speaks RESP3 only, with client-side caching
// (CLIENT TRACKING): a cached read, a hit, and the server's invalidation after a write.
func rueidisSession(port string) {
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{"127.0.0.1:" + port}})
	if err != nil {
		show("rueidis connect", nil, err)
		return
	}
	defer c.Close()
	v, err := c.Do(ctx, c.B().Set().Key("rue:k").Value("v1").Build()).ToString()
	show("rueidis set", v, err)
	v, err = c.DoCache(ctx, c.B().Get().Key("rue:k").Cache(), time.Minute).ToString()
	show("rueidis cached get", v, err)
	hit := c.DoCache(ctx, c.B().Get().Key("rue:k").Cache(), time.Minute)
	v, err = hit.ToString()
	show("rueidis cache hit", fmt.Sprint(v, " ", hit.IsCacheHit()), err)
	c.Do(ctx, c.B().Set().Key("rue:k").Value("v2").Build())
	// The invalidation arrives on its own: poll until the cached value is dropped.
	for i := 0; i < 500; i++ {
		if v, _ = c.DoCache(ctx, c.B().Get().Key("rue:k").Cache(), time.Minute).ToString(); v == "v2" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	show("rueidis after write", v, nil)
	m, err := c.DoCache(ctx, c.B().Hgetall().Key("rue:h").Cache(), time.Minute).AsStrMap()
	show("rueidis cached hgetall of no key", m, err)
	for _, resp := range c.DoMulti(ctx, c.B().Incr().Key("rue:n").Build(), c.B().Incr().Key("rue:n").Build()) {
		n, err := resp.AsInt64()
		show("rueidis incr", n, err)
	}
}
