-- Up Migration
-- A validly signed JWT whose sub, email or jti cannot be recorded (beyond the
-- event limits, or holding a NUL) is refused with this reason.
ALTER TYPE failure_reason ADD VALUE 'INVALID_CLAIMS';
