// The JSON shapes of the API (services/dashboard.py and core/models.py).

export interface Session {
  id: string;
  provider: string;
  project: string | null;
  title: string | null;
  model: string | null;
  started_at: string | null;
  last_activity: string | null;
  active: boolean;
  tokens: { total: number; source: string };
  context: { used: number; limit: number; percent: number };
  cost_usd: number | null;
  health: { score: number; status: string };
  tags?: string[];
}

export interface Share { key: string; total_tokens: number; cost_usd: number | null; count: number }
export interface Bucket { label: string; count: number }

export interface Overview {
  days: { day: string; total_tokens: number; cost_usd: number | null }[];
  health: Bucket[];
  context_fill: Bucket[];
  top_models: Share[];
  top_projects: Share[];
  top_providers: Share[];
  top_tools: Share[];
  total_tokens: number;
  cost_usd: number | null;
  sessions: number;
}

export interface View { sessions: Session[]; overview: Overview }

export interface Facets { projects: string[]; providers: string[]; users: string[]; devices: string[]; team: boolean }

export interface Entry {
  n: number;
  ts: string;
  role: string;
  kind: string;
  text: string;
  usage?: { input_tokens: number; output_tokens: number; cache_creation_tokens: number; cache_read_tokens: number; cost_usd: number | null };
}

export interface SessionPage {
  conversation: { session: Session; messages: Entry[]; pruned: number };
  annotations: { author: string; at: string; text: string }[] | null;
  presence: { name: string }[] | null;
}

// The team server's signed-in member (team/dashboard_routes.py): local pages have none.
export interface Me {
  user: string;
  role: string;
  csrf_token: string | null;
  heartbeat_s: number;
  signin: string;
  logout: string;
}

export interface Board { week_of: string; places: { user: string; total_tokens: number; cost_usd: number }[]; joined: boolean }
