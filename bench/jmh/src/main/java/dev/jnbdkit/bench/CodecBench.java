package dev.jnbdkit.bench;

import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.protocol.ReplyEncoder;
import dev.jnbdkit.protocol.Request;
import dev.jnbdkit.protocol.RequestDecoder;
import org.openjdk.jmh.annotations.*;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/** The wire codec: request headers in, reply headers out (per request, on every connection). */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class CodecBench {
    @Param({"false", "true"})
    public boolean extended;

    private ByteBuffer in, out;
    private Request req;
    private ReplyEncoder structured;
    private final long[] lengths = new long[16];
    private final int[] flags = new int[16];

    @Setup
    public void setup() {
        in = ByteBuffer.allocateDirect(64);
        out = ByteBuffer.allocateDirect(4096);
        req = new Request(0, Nbd.CMD_READ, 42, 1 << 20, 4096);
        RequestDecoder.encode(in, req, extended);
        in.flip();
        structured = new ReplyEncoder(true, extended);
        for (int i = 0; i < 16; i++) { lengths[i] = 65536; flags[i] = i & 3; }
    }

    @Benchmark
    public Request decodeRequest() {
        in.position(0);
        return RequestDecoder.decode(in, extended);
    }

    @Benchmark
    public ByteBuffer encodeReadChunkHeader() {
        out.clear();
        structured.readData(out, req, 4096);
        return out;
    }

    @Benchmark
    public ByteBuffer encodeOk() {
        out.clear();
        structured.ok(out, req);
        return out;
    }

    @Benchmark
    public ByteBuffer encodeBlockStatus16() {
        out.clear();
        structured.blockStatus(out, req, 1, lengths, flags, 16);
        return out;
    }
}
