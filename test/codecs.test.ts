import { describe, expect, it } from "vitest";
import { grpcDefinition } from "../src/rpc/edge/codecs.js";
import { AuthServiceDefinition, AuthServiceService, AuthenticateResponse } from "../src/gen/warden/v1/auth_service.js";
import { FailureReason } from "../src/gen/warden/v1/event.js";
import { RiskLevel } from "../src/gen/warden/v1/risk.js";

const authenticate = grpcDefinition(AuthServiceDefinition).authenticate!;

const answer = (level: RiskLevel, subject: string): AuthenticateResponse =>
  AuthenticateResponse.fromPartial({
    authenticated: true,
    principal: { subject },
    failureReason: FailureReason.UNSPECIFIED,
    eventId: "0192f7a2-8f6b-7c3e-9a1d-3f5e6b7c8d9e",
    risk: { score: 10, level, signals: [] },
  });

describe("server codecs", () => {
  it("serve the paths and stream kinds of the generated grpc-js definitions", () => {
    for (const [key, generated] of Object.entries(AuthServiceService)) {
      const built = grpcDefinition(AuthServiceDefinition)[key]!;
      expect([built.path, built.requestStream, built.responseStream]).toEqual([
        generated.path,
        generated.requestStream,
        generated.responseStream,
      ]);
    }
  });

  it("encode through one kept writer with the generated encoders' bytes, large and small messages in turn", () => {
    for (const subject of ["a", "x".repeat(100_000), "b", "c".repeat(300)]) {
      const message = answer(RiskLevel.LOW, subject);
      const bytes = authenticate.responseSerialize(message);
      expect(bytes).toEqual(AuthServiceService.authenticate.responseSerialize(message));
      expect(authenticate.responseDeserialize(bytes)).toEqual(message);
    }
  });

  it("leave nothing of a message the encoder refused in the next one", () => {
    // 2^40 is no int32: the encoder throws half way through the message.
    expect(() => authenticate.responseSerialize(answer(2 ** 40, "refused"))).toThrow(/int32/);
    const next = answer(RiskLevel.LOW, "next");
    expect(authenticate.responseDeserialize(authenticate.responseSerialize(next))).toEqual(next);
  });
});
