/** Escapes text for HTML element content and quoted attribute values (the review report and the approval page). */
export function escapeHtml(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
