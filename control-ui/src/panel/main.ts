// The touch panel (index.html, served at /): join, mute, camera, layout and the PTZ pad.
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import '../shared/theme.css';
import './panel.css';
import App from './App.vue';

createApp(App).use(createPinia()).mount('#app');
