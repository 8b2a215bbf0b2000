/**
 * A tiny stateful provider on the sandbox framework (`runSandbox`), serving test/fixtures/notes.yaml
 * correctly; the stateful tests plant one defect at a time in a copy of it.
 */
import { readFileSync } from "node:fs";
import type { Handler, ProviderDefinition, SandboxResponse } from "@specyard/sandbox";
import { parse } from "yaml";

export const NOTES_SPEC = new URL("./fixtures/notes.yaml", import.meta.url);
export const NOTES_TOKEN = "notes-sandbox-secret-token-0123456789";

export interface Note {
  id: string;
  title: string;
  priority: number;
}
export type NotesState = { notes: Record<string, Note>; next: number };
export type NotesHandler = Handler<NotesState>;

export const notFound = (): SandboxResponse => ({ status: 404, body: { error: "no such note" } });

/** The note with this id (own properties only: an id may be `constructor`). */
export const noteOf = (state: NotesState, id: unknown): Note | undefined =>
  Object.hasOwn(state.notes, String(id)) ? state.notes[String(id)] : undefined;

export const notes: ProviderDefinition<NotesState> = {
  name: "notes",
  spec: parse(readFileSync(NOTES_SPEC, "utf8")),
  initialState: () => ({ notes: {}, next: 1 }),
  errorBody: (_status, message) => ({ error: message }),
  guard: (request) =>
    request.headers.authorization === `Bearer ${NOTES_TOKEN}`
      ? undefined
      : { status: 401, body: { error: "missing or wrong credentials" } },
  handlers: {
    listNotes: (_request, { state }) => ({ status: 200, body: { items: Object.values(state.notes) } }),
    createNote: (request, { state }) => {
      const { title, priority } = request.body as { title: string; priority?: number };
      const note = { id: `note-${state.next++}`, title, priority: priority ?? 0 };
      state.notes[note.id] = note;
      return { status: 201, body: note };
    },
    getNote: (request, { state }) => {
      const note = noteOf(state, request.params.id);
      return note ? { status: 200, body: note } : notFound();
    },
    deleteNote: (request, { state }) => {
      const note = noteOf(state, request.params.id);
      if (!note) return notFound();
      delete state.notes[note.id];
      return { status: 204 };
    },
  },
};
