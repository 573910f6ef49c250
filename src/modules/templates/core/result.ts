/**
 * Results and expected failures of the template core. The same shape as `platform/errors.ts`
 * (the core may not import it): use cases turn a `TemplateProblem` into an `AppError` unchanged.
 */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });

/** An expected failure with a stable code (`TEMPLATE_PARAMETER_MISSING`, …) and its particulars. */
export type TemplateProblem = { code: string; message: string; details: Record<string, unknown> };

export const problem = (code: string, message: string, details: Record<string, unknown> = {}): TemplateProblem => ({ code, message, details });
