// Types for the `passport-strategy` base class (passport's own dependency, which ships no types);
// the action methods are attached by passport.authenticate() to a per-request copy of the strategy.
declare module 'passport-strategy' {
  export class Strategy {
    name?: string;
    authenticate(req: unknown, options?: unknown): void;
    success(user: unknown, info?: unknown): void;
    fail(challenge?: unknown, status?: number): void;
    redirect(url: string, status?: number): void;
    pass(): void;
    error(err: unknown): void;
  }
}
