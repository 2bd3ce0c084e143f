"""
A session with redis-py (PyPI `redis`), printed a line per step: the
languages test (test/clients/languages.test.ts) runs it against Nodis and
against redis-server and compares the two outputs line for line.

    python3 smoke.py PORT PROTOCOL      (PROTOCOL: 2 or 3)
"""
import sys
import threading
import time

import redis

port, protocol = int(sys.argv[1]), int(sys.argv[2])
r = redis.Redis(host="127.0.0.1", port=port, protocol=protocol)


def show(name, value):
    # Sets and dicts in a fixed order: the two servers may iterate differently.
    if isinstance(value, (set, frozenset)):
        value = sorted(value)
    elif isinstance(value, dict):
        value = sorted(value.items())
    print(f"{name}: {value!r}", flush=True)


def fails(name, fn):
    try:
        show(name, fn())
    except redis.RedisError as e:
        print(f"{name}: {type(e).__name__}: {e}", flush=True)


r.flushall()
show("ping", r.ping())
show("set", r.set("py:s", "bar"))
show("get", r.get("py:s"))
show("set nx", r.set("py:s", "baz", nx=True))
show("set ex", r.set("py:t", "v", ex=100))
show("ttl", r.ttl("py:t"))
show("incrby", r.incrby("py:n", 5))
show("incrbyfloat", r.incrbyfloat("py:f", 1.5))
show("mset", r.mset({"py:a": "1", "py:b": "2"}))
show("mget", r.mget("py:a", "py:b", "py:missing"))
show("append", r.append("py:s", "!"))
show("getrange", r.getrange("py:s", 0, 2))
fails("wrongtype", lambda: r.lpush("py:s", "x"))
fails("not an integer", lambda: r.incr("py:s"))
fails("unknown command", lambda: r.execute_command("NOSUCHCMD", "x"))

show("hset", r.hset("py:h", mapping={"f1": "v1", "f2": "v2"}))
show("hgetall", r.hgetall("py:h"))
show("hincrby", r.hincrby("py:h", "n", 3))
show("hmget", r.hmget("py:h", ["f1", "nope"]))

show("rpush", r.rpush("py:l", "a", "b", "c"))
show("lrange", r.lrange("py:l", 0, -1))
show("lpop count", r.lpop("py:l", 2))
show("blpop timeout", r.blpop(["py:empty"], timeout=0.1))

show("sadd", r.sadd("py:set", "x", "y", "z"))
show("smembers", r.smembers("py:set"))
show("sismember", r.sismember("py:set", "y"))

show("zadd", r.zadd("py:z", {"a": 1, "b": 2.5, "c": 3}))
show("zrange withscores", r.zrange("py:z", 0, -1, withscores=True))
show("zscore", r.zscore("py:z", "b"))
show("zrangebyscore", r.zrangebyscore("py:z", "(1", "+inf"))

show("xadd", r.xadd("py:x", {"k": "v"}, id="1-1"))
show("xadd 2", r.xadd("py:x", {"k": "w"}, id="1-2"))
show("xrange", r.xrange("py:x"))
show("xgroup create", r.xgroup_create("py:x", "g", id="0"))
show("xreadgroup", r.xreadgroup("g", "c1", {"py:x": ">"}, count=1))
show("xpending", r.xpending("py:x", "g")["pending"])

pipe = r.pipeline(transaction=False)
pipe.set("py:p1", "1").incr("py:p1").get("py:p1")
show("pipeline", pipe.execute())
tx = r.pipeline(transaction=True)
tx.set("py:t1", "a").append("py:t1", "b").get("py:t1")
show("multi/exec", tx.execute())

# WATCH: a change by another connection aborts the transaction.
other = redis.Redis(host="127.0.0.1", port=port, protocol=protocol)
with r.pipeline() as w:
    w.watch("py:w")
    other.set("py:w", "changed")
    w.multi()
    w.set("py:w", "mine")
    fails("watch aborted", w.execute)
show("after watch", r.get("py:w"))

show("eval", r.eval("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}", 1, "py:e", "arg"))
script = r.register_script("return redis.call('GET', KEYS[1])")
show("evalsha (script object)", script(keys=["py:s"]))
fails("eval error", lambda: r.eval("return redis.call('LPUSH', KEYS[1], 'x')", 1, "py:s"))

show("scan", sorted(r.scan_iter(match="py:[ab]")))
show("exists", r.exists("py:a", "py:b", "py:none"))
show("type", r.type("py:z"))
show("del", r.delete("py:a", "py:none"))

# Pub/sub: a subscriber on its own connection receives a message published after it subscribed.
ps = r.pubsub()
ps.subscribe("py:chan")
show("subscribe", ps.get_message(timeout=10))
show("publish", r.publish("py:chan", "hello"))
show("message", ps.get_message(timeout=10))
ps.close()

# A blocked BLPOP served by a push from another connection.
def push_later():
    time.sleep(0.2)
    other.rpush("py:q", "job")


threading.Thread(target=push_later).start()
show("blpop served", r.blpop(["py:q"], timeout=10))
show("dbsize", r.dbsize())
print("done", flush=True)
