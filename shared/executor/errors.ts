/** Thrown by an action that no longer applies (the world changed since planning); see execute(). */
export class NotApplicableError extends Error {
  override readonly name = 'NotApplicableError';
}
