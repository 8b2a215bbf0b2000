/**
 * The workspace-level routes: the secret vault, the skill library with its versions, ClawHub,
 * and templates submitted from public git repositories (the sandbox's "git host" holds them; the
 * `addRepo` admin action adds more).
 */
import type { Handler } from "../../framework/types.js";
import { callerOf } from "./auth.js";
import {
  HUB_PAGE_SIZE,
  HUB_SKILLS,
  HUB_SORTS,
  type HubSkill,
  hubReadme,
  hubSkillView,
  MARKETPLACE,
} from "./catalog.js";
import {
  type AttachedSkill,
  type Ctx,
  iso,
  newId,
  own,
  type PinataState,
  type SecretRecord,
  type SkillRecord,
  sha256,
  type TemplateRecord,
} from "./state.js";
import { ENGINES } from "./workspace.js";

type H = Handler<PinataState>;

export const MAX_AGENT_SKILLS = 10;

// --- secrets ------------------------------------------------------------------------------------

export const secretView = (s: SecretRecord) => ({
  id: s.id,
  name: s.name,
  createdAt: iso(s.createdAt),
  updatedAt: iso(s.updatedAt),
});

/** A secret of the caller's account. */
export const ownSecret = (ctx: Ctx, accountId: string, id: string): SecretRecord | undefined => {
  const secret = own(ctx.state.secrets, id);
  return secret?.accountId === accountId ? secret : undefined;
};

export const listSecrets: H = (request, ctx) => {
  const { accountId } = callerOf(request);
  const secrets = Object.values(ctx.state.secrets).filter((s) => s.accountId === accountId);
  return { status: 200, body: { secrets: secrets.map(secretView) } };
};

export const createSecret: H = (request, ctx) => {
  const { accountId } = callerOf(request);
  const { name, value } = request.body as { name: string; value: string };
  if (Object.values(ctx.state.secrets).some((s) => s.accountId === accountId && s.name === name))
    return ctx.error(409, "A secret with this name already exists");
  const now = ctx.clock.now();
  const secret: SecretRecord = {
    id: newId(ctx, "sec"),
    accountId,
    name,
    valueHash: sha256(value),
    createdAt: now,
    updatedAt: now,
  };
  ctx.state.secrets[secret.id] = secret;
  return { status: 201, body: secretView(secret) };
};

export const updateSecret: H = (request, ctx) => {
  const secret = ownSecret(ctx, callerOf(request).accountId, String(request.params.id));
  if (!secret) return ctx.error(404, "Secret not found");
  secret.valueHash = sha256((request.body as { value: string }).value);
  secret.updatedAt = ctx.clock.now();
  return { status: 200, body: secretView(secret) };
};

export const deleteSecret: H = (request, ctx) => {
  const secret = ownSecret(ctx, callerOf(request).accountId, String(request.params.id));
  if (!secret) return ctx.error(404, "Secret not found");
  delete ctx.state.secrets[secret.id];
  for (const agent of Object.values(ctx.state.agents))
    agent.secretIds = agent.secretIds.filter((id) => id !== secret.id);
  return { status: 200, body: { success: true } };
};

// --- skill library ------------------------------------------------------------------------------

const current = (skill: SkillRecord) =>
  skill.versions[skill.versions.length - 1] as SkillRecord["versions"][number];

export const skillView = (skill: SkillRecord) => ({
  skillId: skill.skillId,
  cid: current(skill).cid,
  name: skill.name,
  ...(skill.description !== undefined ? { description: skill.description } : {}),
  version: current(skill).version,
  createdAt: iso(skill.createdAt),
});

const versionView = (v: SkillRecord["versions"][number]) => ({
  version: v.version,
  cid: v.cid,
  createdAt: iso(v.createdAt),
});

const ownSkill = (ctx: Ctx, accountId: string, id: string): SkillRecord | undefined => {
  const skill = own(ctx.state.skills, id);
  return skill?.accountId === accountId ? skill : undefined;
};

/** The library skill or hub skill a `skillCids` entry names (CID, package name, slug or id). */
export function resolveSkill(ctx: Ctx, accountId: string, ref: string): AttachedSkill | undefined {
  for (const skill of Object.values(ctx.state.skills)) {
    if (skill.accountId !== accountId) continue;
    const version =
      skill.skillId === ref || skill.name === ref
        ? current(skill)
        : skill.versions.find((v) => v.cid === ref);
    if (version)
      return { skillId: skill.skillId, cid: version.cid, name: skill.name, version: version.version };
  }
  const hub = HUB_SKILLS.find((s) => [s.package, s.slug, s.hubSkillId, s.cid].includes(ref));
  return hub
    ? { skillId: hub.hubSkillId, cid: hub.package, name: hub.name, version: hub.version }
    : undefined;
}

/** The newest version of an attached skill, when the library has one newer than attached. */
export function newerVersion(ctx: Ctx, attached: AttachedSkill): SkillRecord["versions"][number] | undefined {
  const skill = own(ctx.state.skills, attached.skillId);
  if (!skill) return undefined;
  const latest = current(skill);
  return latest.version !== attached.version ? latest : undefined;
}

export const listSkills: H = (request, ctx) => {
  const { accountId } = callerOf(request);
  const skills = Object.values(ctx.state.skills).filter((s) => s.accountId === accountId);
  return { status: 200, body: { skills: skills.map(skillView) } };
};

export const createSkill: H = (request, ctx) => {
  const { accountId } = callerOf(request);
  const { name, cid, description } = request.body as { name: string; cid: string; description?: string };
  const now = ctx.clock.now();
  const skill: SkillRecord = {
    skillId: newId(ctx, "skl"),
    accountId,
    name,
    ...(description !== undefined ? { description } : {}),
    versions: [{ version: "1.0.0", cid, createdAt: now }],
    createdAt: now,
  };
  ctx.state.skills[skill.skillId] = skill;
  return { status: 201, body: skillView(skill) };
};

export const listSkillVersions: H = (request, ctx) => {
  const skill = ownSkill(ctx, callerOf(request).accountId, String(request.params.skillId));
  if (!skill) return ctx.error(404, "Skill not found");
  return { status: 200, body: { versions: [...skill.versions].reverse().map(versionView) } };
};

/** `1.2.3` → `1.2.4`; anything else gets `.1` appended. */
const bump = (version: string) =>
  /^\d+\.\d+\.\d+$/.test(version)
    ? version.replace(/\d+$/, (patch) => String(Number(patch) + 1))
    : `${version}.1`;

export const publishSkillVersion: H = (request, ctx) => {
  const skill = ownSkill(ctx, callerOf(request).accountId, String(request.params.skillId));
  if (!skill) return ctx.error(404, "Skill not found");
  const body = request.body as { cid: string; version?: string };
  const version = body.version ?? bump(current(skill).version);
  if (skill.versions.some((v) => v.version === version))
    return ctx.error(400, `Validation failed: version ${version} already exists`);
  const entry = { version, cid: body.cid, createdAt: ctx.clock.now() };
  skill.versions.push(entry);
  return { status: 201, body: versionView(entry) };
};

export const deleteSkill: H = (request, ctx) => {
  const { accountId } = callerOf(request);
  const ref = String(request.params.skillCid);
  const skill = Object.values(ctx.state.skills).find(
    (s) => s.accountId === accountId && (s.skillId === ref || s.versions.some((v) => v.cid === ref)),
  );
  if (!skill) return ctx.error(404, "Skill not found");
  delete ctx.state.skills[skill.skillId];
  return { status: 200, body: { success: true } };
};

// --- ClawHub ------------------------------------------------------------------------------------

const SORTERS: Record<(typeof HUB_SORTS)[number], (a: HubSkill, b: HubSkill) => number> = {
  popular: (a, b) => b.installs - a.installs || a.order - b.order,
  newest: (a, b) => b.order - a.order,
  name: (a, b) => a.name.localeCompare(b.name),
};

/** Cursors are opaque: the offset of the next page, encoded. */
const encodeCursor = (offset: number) => Buffer.from(`o:${offset}`).toString("base64url");
const decodeCursor = (cursor: string): number | undefined => {
  const match = /^o:(\d{1,6})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  return match ? Number(match[1]) : undefined;
};

export const listClawhubSkills: H = (request, ctx) => {
  const query = request.query as { category?: string; sort?: string; featured?: boolean; cursor?: string };
  const sort = (query.sort ?? "popular") as (typeof HUB_SORTS)[number];
  if (!HUB_SORTS.includes(sort))
    return ctx.error(400, `Validation failed: sort must be one of ${HUB_SORTS.join(", ")}`);
  const offset = query.cursor === undefined ? 0 : decodeCursor(query.cursor);
  if (offset === undefined) return ctx.error(400, "Validation failed: invalid cursor");
  const matching = HUB_SKILLS.filter(
    (s) =>
      (query.category === undefined || s.category === query.category) &&
      (query.featured === undefined || s.featured === query.featured),
  ).sort(SORTERS[sort]);
  const page = matching.slice(offset, offset + HUB_PAGE_SIZE);
  const next = offset + HUB_PAGE_SIZE < matching.length ? encodeCursor(offset + HUB_PAGE_SIZE) : null;
  return { status: 200, body: { skills: page.map(hubSkillView), nextCursor: next } };
};

export const getClawhubSkill: H = (request, ctx) => {
  const skill = HUB_SKILLS.find((s) => s.slug === request.params.slug);
  if (!skill) return ctx.error(404, "Skill not found");
  return { status: 200, body: { skill: hubSkillView(skill), readme: hubReadme(skill) } };
};

export const installClawhubSkill: H = (request, ctx) => {
  const { accountId } = callerOf(request);
  const hub = HUB_SKILLS.find((s) => s.hubSkillId === request.params.hubSkillId);
  if (!hub) return ctx.error(404, "Skill not found");
  let skill = Object.values(ctx.state.skills).find(
    (s) => s.accountId === accountId && s.hubSkillId === hub.hubSkillId,
  );
  if (!skill) {
    const now = ctx.clock.now();
    skill = {
      skillId: newId(ctx, "skl"),
      accountId,
      name: hub.name,
      description: hub.description,
      versions: [{ version: hub.version, cid: hub.cid, createdAt: now }],
      createdAt: now,
      hubSkillId: hub.hubSkillId,
    };
    ctx.state.skills[skill.skillId] = skill;
  }
  return { status: 201, body: { skill: skillView(skill) } };
};

// --- templates ----------------------------------------------------------------------------------

export const templateView = (t: TemplateRecord) => ({
  templateId: t.templateId,
  slug: t.slug,
  name: t.name,
  ...(t.description !== undefined ? { description: t.description } : {}),
  repoUrl: t.repoUrl,
  branch: t.branch,
  createdAt: iso(t.createdAt),
});

/** A repository URL as the git host keys it: no trailing slash or `.git`. */
const repoKey = (url: string) => url.replace(/\/+$/, "").replace(/\.git$/, "");

interface Manifest {
  name: string;
  description?: string;
}

/** Reads and checks a repository's `manifest.json` (the same check as `templates validate`). */
function checkRepo(
  ctx: Ctx,
  repoUrl: string,
  branch?: string,
): { errors: string[]; branch: string; manifest?: Manifest } {
  const repo = own(ctx.state.repos, repoKey(repoUrl));
  if (!repo) return { errors: ["Repository not found or not public"], branch: branch ?? "main" };
  const ref = branch ?? repo.defaultBranch;
  if (!repo.branches.includes(ref) && !repo.tags.includes(ref))
    return { errors: [`Branch or tag not found: ${ref}`], branch: ref };
  const text = own(repo.manifests, ref);
  if (text === undefined) return { errors: ["manifest.json not found at the repository root"], branch: ref };
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    return { errors: ["manifest.json is not valid JSON"], branch: ref };
  }
  if (!manifest || typeof manifest !== "object" || Array.isArray(manifest))
    return { errors: ["manifest.json must be an object"], branch: ref };
  const m = manifest as Record<string, unknown>;
  const errors: string[] = [];
  if (typeof m.name !== "string" || !m.name.trim()) errors.push("name is required");
  if (m.description !== undefined && typeof m.description !== "string")
    errors.push("description must be a string");
  if (m.engine !== undefined && !(typeof m.engine === "string" && own(ENGINES, m.engine)))
    errors.push(`engine must be one of ${Object.keys(ENGINES).join(", ")}`);
  if (m.skills !== undefined) {
    if (!Array.isArray(m.skills) || m.skills.some((s) => typeof s !== "string"))
      errors.push("skills must be a list of strings");
    else if (m.skills.length > MAX_AGENT_SKILLS) errors.push(`skills exceeds maximum of ${MAX_AGENT_SKILLS}`);
  }
  if (
    m.channels !== undefined &&
    (typeof m.channels !== "object" || m.channels === null || Array.isArray(m.channels))
  )
    errors.push("channels must be an object");
  return errors.length
    ? { errors, branch: ref }
    : {
        errors,
        branch: ref,
        manifest: {
          name: m.name as string,
          ...(typeof m.description === "string" ? { description: m.description } : {}),
        },
      };
}

const slugify = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48) || "template";

function uniqueSlug(ctx: Ctx, base: string): string {
  const taken = new Set([
    ...Object.values(ctx.state.templates).map((t) => t.slug),
    ...MARKETPLACE.map((t) => t.slug),
  ]);
  let slug = base;
  for (let n = 2; taken.has(slug); n++) slug = `${base}-${n}`;
  return slug;
}

/** A template of the caller, by id or slug, not archived. */
function ownTemplate(ctx: Ctx, accountId: string, ref: string): TemplateRecord | undefined {
  return Object.values(ctx.state.templates).find(
    (t) => t.accountId === accountId && !t.archived && (t.templateId === ref || t.slug === ref),
  );
}

export const listTemplates: H = (request, ctx) => {
  const { accountId } = callerOf(request);
  const mine = Object.values(ctx.state.templates).filter((t) => t.accountId === accountId && !t.archived);
  return { status: 200, body: { templates: mine.map(templateView) } };
};

export const createTemplate: H = (request, ctx) => {
  const { accountId } = callerOf(request);
  const body = request.body as { repoUrl: string; branch?: string };
  const checked = checkRepo(ctx, body.repoUrl, body.branch);
  if (!checked.manifest) return ctx.error(400, `Template validation failed: ${checked.errors.join("; ")}`);
  const template: TemplateRecord = {
    templateId: newId(ctx, "tpl"),
    accountId,
    slug: uniqueSlug(ctx, slugify(checked.manifest.name)),
    name: checked.manifest.name,
    ...(checked.manifest.description !== undefined ? { description: checked.manifest.description } : {}),
    repoUrl: body.repoUrl,
    branch: checked.branch,
    createdAt: ctx.clock.now(),
    archived: false,
    published: false,
  };
  ctx.state.templates[template.templateId] = template;
  return { status: 201, body: { template: templateView(template) } };
};

export const getTemplateBySlug: H = (request, ctx) => {
  const template = ownTemplate(ctx, callerOf(request).accountId, String(request.params.slugOrId));
  return template
    ? { status: 200, body: { template: templateView(template) } }
    : ctx.error(404, "Template not found");
};

export const getTemplateById: H = (request, ctx) => {
  const template = ownTemplate(ctx, callerOf(request).accountId, String(request.params.templateId));
  return template && template.templateId === request.params.templateId
    ? { status: 200, body: { template: templateView(template) } }
    : ctx.error(404, "Template not found");
};

export const updateTemplate: H = (request, ctx) => {
  const template = ownTemplate(ctx, callerOf(request).accountId, String(request.params.slugOrId));
  if (!template) return ctx.error(404, "Template not found");
  const body = request.body as { repoUrl: string; branch?: string };
  const checked = checkRepo(ctx, body.repoUrl, body.branch);
  if (!checked.manifest) return ctx.error(400, `Template validation failed: ${checked.errors.join("; ")}`);
  template.repoUrl = body.repoUrl;
  template.branch = checked.branch;
  template.name = checked.manifest.name;
  if (checked.manifest.description !== undefined) template.description = checked.manifest.description;
  else delete template.description;
  return { status: 200, body: { template: templateView(template) } };
};

export const archiveTemplate: H = (request, ctx) => {
  const template = ownTemplate(ctx, callerOf(request).accountId, String(request.params.slugOrId));
  if (!template) return ctx.error(404, "Template not found");
  template.archived = true;
  template.published = false;
  return { status: 200, body: { success: true } };
};

export const validateTemplate: H = (request, ctx) => {
  const body = request.body as { repoUrl: string; branch?: string };
  const { errors } = checkRepo(ctx, body.repoUrl, body.branch);
  return { status: 200, body: { valid: errors.length === 0, errors } };
};

function repoOf(ctx: Ctx, request: Parameters<H>[0]) {
  return own(ctx.state.repos, repoKey((request.body as { repoUrl: string }).repoUrl));
}

export const listTemplateBranches: H = (request, ctx) => {
  const repo = repoOf(ctx, request);
  return repo
    ? { status: 200, body: { branches: [...repo.branches] } }
    : ctx.error(400, "Repository not found or not public");
};

export const listTemplateRefs: H = (request, ctx) => {
  const repo = repoOf(ctx, request);
  return repo
    ? { status: 200, body: { branches: [...repo.branches], tags: [...repo.tags] } }
    : ctx.error(400, "Repository not found or not public");
};

export const listPublicTemplates: H = (_request, ctx) => {
  const published = Object.values(ctx.state.templates).filter((t) => t.published && !t.archived);
  return { status: 200, body: { templates: [...MARKETPLACE, ...published.map(templateView)] } };
};

export { repoKey };
