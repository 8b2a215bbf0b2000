/**
 * Fixed data the sandbox serves as the platform's own: engines, agent runtime versions, the
 * ClawHub community hub and the public template marketplace.
 */

export const ENGINE_LIST = [
  { id: "openclaw", label: "OpenClaw" },
  { id: "hermes", label: "Hermes" },
];

/** Agent runtime versions, oldest first; new agents run `AGENT_VERSION`. */
export const AGENT_VERSIONS = ["2026.3.28", "2026.4.5", "2026.4.21", "2026.5.2"];
export const AGENT_VERSION = "2026.4.5";

export interface HubSkill {
  hubSkillId: string;
  slug: string;
  name: string;
  description: string;
  category: string;
  featured: boolean;
  /** What `skillCids` may name it by (a package name), besides its slug and id. */
  package: string;
  cid: string;
  version: string;
  installs: number;
  /** Position in publication order (higher is newer). */
  order: number;
}

const ENTRIES: Array<[slug: string, name: string, category: string, featured: boolean, description: string]> =
  [
    ["pinata-api", "Pinata API", "storage", true, "Pin, list and fetch files on Pinata from your agent."],
    [
      "pinata-platform",
      "Pinata Platform",
      "platform",
      true,
      "Let the agent manage itself: secrets, skills, tasks.",
    ],
    ["web-search", "Web Search", "research", true, "Search the web and summarise the results."],
    ["arxiv-reader", "arXiv Reader", "research", false, "Find and read papers from arXiv."],
    ["wiki-lookup", "Wiki Lookup", "research", false, "Look facts up on Wikipedia."],
    ["github-issues", "GitHub Issues", "developer", true, "Triage, label and answer GitHub issues."],
    ["git-helper", "Git Helper", "developer", false, "Commit, branch and review inside the workspace."],
    ["code-runner", "Code Runner", "developer", false, "Run small scripts and report their output."],
    ["calendar", "Calendar", "productivity", true, "Read and schedule events."],
    ["email-digest", "Email Digest", "productivity", false, "Summarise an inbox every morning."],
    ["notes", "Notes", "productivity", false, "Keep structured notes in the workspace."],
    ["todo", "Todo", "productivity", false, "A simple task list the agent keeps for you."],
    ["price-watch", "Price Watch", "finance", false, "Watch prices and alert on thresholds."],
    ["invoice-parser", "Invoice Parser", "finance", false, "Extract totals and dates from invoices."],
    ["portfolio", "Portfolio", "finance", false, "Track holdings and daily changes."],
    ["tweet-drafts", "Tweet Drafts", "social", false, "Draft posts in your voice."],
    ["discord-mod", "Discord Moderator", "social", true, "Moderate a Discord server with rules you set."],
    ["telegram-digest", "Telegram Digest", "social", false, "Summarise busy Telegram groups."],
    ["image-captions", "Image Captions", "media", false, "Describe and tag images."],
    ["podcast-notes", "Podcast Notes", "media", false, "Turn transcripts into show notes."],
    ["translate", "Translate", "language", true, "Translate between 50 languages."],
    ["grammar", "Grammar", "language", false, "Fix grammar and style."],
    ["weather", "Weather", "utilities", false, "Forecasts for any city."],
    ["unit-convert", "Unit Convert", "utilities", false, "Convert units and currencies."],
  ];

export const HUB_SKILLS: HubSkill[] = ENTRIES.map(([slug, name, category, featured, description], i) => ({
  hubSkillId: `hub_${String(i + 1).padStart(3, "0")}`,
  slug,
  name,
  description,
  category,
  featured,
  package: slug.startsWith("pinata-") ? `@pinata/${slug.slice("pinata-".length)}` : `@clawhub/${slug}`,
  cid: `bafybeihub${slug
    .replace(/[^a-z0-9]/g, "")
    .padEnd(20, "q")
    .slice(0, 20)}${String(i).padStart(3, "0")}`,
  version: `1.${i % 4}.${i % 3}`,
  installs: 5000 - ((i * 397) % 4800),
  order: i,
}));

export const HUB_PAGE_SIZE = 10;
export const HUB_SORTS = ["popular", "newest", "name"] as const;

export function hubSkillView(skill: HubSkill) {
  return {
    hubSkillId: skill.hubSkillId,
    slug: skill.slug,
    name: skill.name,
    description: skill.description,
    category: skill.category,
    featured: skill.featured,
  };
}

export function hubReadme(skill: HubSkill): string {
  return `# ${skill.name}\n\n${skill.description}\n\nInstall: \`${skill.package}\` (version ${skill.version}).\n`;
}

/** The marketplace's own templates, listed beside user templates the operator published. */
export const MARKETPLACE = [
  {
    templateId: "tpl_market_research",
    slug: "research-assistant",
    name: "Research Assistant",
    description: "Reads papers and the web, writes briefs.",
    repoUrl: "https://git.example.com/pinata-sandbox/research-assistant",
    branch: "main",
    createdAt: "2026-03-02T10:00:00.000Z",
  },
  {
    templateId: "tpl_market_community",
    slug: "community-manager",
    name: "Community Manager",
    description: "Moderates Discord and Telegram, drafts announcements.",
    repoUrl: "https://git.example.com/pinata-sandbox/community-manager",
    branch: "main",
    createdAt: "2026-03-20T10:00:00.000Z",
  },
];
